"""`trichometry compare`: JSON + overlay written atomically, clear one-line errors."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from trichometry.cli.main import cli
from trichometry.visits import HairPoints

UPP = 5.0


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    return _scene(tmp_path_factory.mktemp("scene"))


def _scene(tmp_path, lose: int = 3, repeats: bool = False):
    """Two photos of one patch (shifted, rotated, relit); ``lose`` hairs go dormant. With
    ``repeats`` each visit also has a second photo, framed a little differently (last two paths)."""
    from trichometry.synth import SceneRanges, View, render, sample_patch

    rng = np.random.default_rng(5)
    ranges = SceneRanges().with_overrides(density_per_cm2=(320.0, 320.0), clipped_fraction=(1.0, 1.0))
    patch = sample_patch(ranges, rng, extent_um=(5000.0, 5000.0))
    v0 = View(um_per_px=UPP, width=512, height=448, rotation_deg=10.0)
    v1 = View(um_per_px=UPP, width=512, height=448, centre_um=(120.0, -80.0), rotation_deg=16.0, exposure=0.9)
    s0 = render(patch, v0, seed=1)
    inside = {h.follicle_id for h in s0.truth.inside_hairs}
    lost = sorted(inside)[:lose]
    later = dataclasses.replace(
        patch,
        hairs=tuple(
            dataclasses.replace(h, active=h.active and h.follicle_id not in lost) for h in patch.hairs
        ),
    )
    s1 = render(later, v1, seed=2)
    shots = [("base.png", s0), ("follow.png", s1)]
    if repeats:
        v0b = dataclasses.replace(v0, centre_um=(-60.0, 40.0), rotation_deg=7.0)
        v1b = dataclasses.replace(v1, centre_um=(60.0, -120.0), rotation_deg=19.0)
        shots += [("base2.png", render(patch, v0b, seed=3)), ("follow2.png", render(later, v1b, seed=4))]
    lookup = {}
    paths = []
    for name, s in shots:
        Image.fromarray(s.image).save(tmp_path / name)
        lookup[hashlib.sha256(s.image.tobytes()).hexdigest()] = s.truth
        paths.append(str(tmp_path / name))
    return paths, lookup, lost


@pytest.fixture
def truth_detection(monkeypatch):
    """Replace detection by the generator's truth for the images written by ``_scene``."""
    table: dict[str, object] = {}

    def fake(image, um_per_px, method, checkpoint):
        truth = table[hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()]
        return HairPoints.from_truth(truth, image=image)

    monkeypatch.setattr("trichometry.cli.compare.detect_hairs", fake)
    return table


def test_compare_writes_json_and_overlay(tmp_path, truth_detection, scene):
    (base, follow), lookup, lost = scene
    truth_detection.update(lookup)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["compare", base, follow, "--um-per-px", str(UPP), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rec = json.loads((out / "compare.json").read_text())
    for key in ("baseline_count", "followup_count", "matched", "lost", "new", "density_change_per_cm2",
                "density_change_pct", "mean_thickness_change_um", "registration"):  # fmt: skip
        assert key in rec
    assert rec["lost"] == len(lost) and rec["new"] == 0
    assert rec["baseline_count"] == rec["matched"] + rec["lost"]
    assert rec["density_change_pct"] == pytest.approx(-100 * len(lost) / rec["baseline_count"], abs=1e-3)
    assert abs(rec["mean_thickness_change_um"]) < 1e-6
    assert abs(rec["registration"]["rotation_deg"] - 6.0) < 0.5 and rec["registration"]["confidence"] > 0.5
    png = (out / "compare_overlay.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == ["compare.json", "compare_overlay.png"]


def test_two_photos_per_visit_vote_before_matching(tmp_path, truth_detection):
    (base, follow, base2, follow2), lookup, lost = _scene(tmp_path, repeats=True)
    truth_detection.update(lookup)
    out = tmp_path / "out"
    args = ["compare", base, follow, "--baseline-also", base2, "--followup-also", follow2]
    res = CliRunner().invoke(cli, [*args, "--um-per-px", str(UPP), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rec = json.loads((out / "compare.json").read_text())
    assert rec["combine"] == "consensus" and rec["summary"]["n_photos"] == 4
    assert rec["consensus"]["baseline"]["photos"] == 2 and rec["consensus"]["followup"]["photos"] == 2
    assert rec["lost"] == len(lost) and rec["new"] == 0  # every true hair found twice: the truth
    assert [a["path"] for a in rec["inputs"]["baseline"]["also"]] == [base2]
    # a second photo at one visit only: the mean over photo pairs, said so
    out1 = tmp_path / "out1"
    res = CliRunner().invoke(cli, ["compare", base, follow, "--baseline-also", base2, "--um-per-px", str(UPP),
                                   "--out", str(out1)])  # fmt: skip
    assert res.exit_code == 0, res.output
    rec1 = json.loads((out1 / "compare.json").read_text())
    assert rec1["combine"] == "pairs" and rec1["consensus"] is None and rec1["summary"]["n_photos"] == 2


def test_bad_inputs_give_one_line_errors_and_write_nothing(tmp_path, truth_detection, scene):
    (base, follow), lookup, _ = scene
    truth_detection.update(lookup)
    runner = CliRunner()
    cases = [
        (
            ["--um-per-px", "5", "--baseline-date", "2026-03-01", "--followup-date", "2026-02-01"],
            "before baseline",
        ),
        (["--baseline-um-per-px", "5", "--followup-um-per-px", "6"], "um/px"),
        ([], "calibration"),
    ]
    for i, (extra, msg) in enumerate(cases):
        out = tmp_path / f"out{i}"
        res = runner.invoke(cli, ["compare", base, follow, "--out", str(out), *extra])
        assert res.exit_code != 0 and msg in res.output, res.output
        assert "Traceback" not in res.output
        assert not out.exists() or not any(out.iterdir())


def test_different_areas_are_refused(tmp_path, truth_detection, scene):
    (base, _), lookup, _ = scene
    lookup = dict(lookup)
    from trichometry.synth import generate_sample

    other = generate_sample(99, width=512, height=448, um_per_px=UPP, density_per_cm2=320.0)
    Image.fromarray(other.image).save(tmp_path / "other.png")
    lookup[hashlib.sha256(other.image.tobytes()).hexdigest()] = other.truth
    truth_detection.update(lookup)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli, ["compare", base, str(tmp_path / "other.png"), "--um-per-px", "5", "--out", str(out)]
    )
    assert res.exit_code != 0 and "different areas" in res.output
    assert not (out / "compare.json").exists()


def _dicom(path, image: np.ndarray, um_per_px: float) -> str:
    """``image`` as an RGB DICOM whose Pixel Spacing says ``um_per_px`` (pydicom fills in the rest)."""
    import pydicom
    from pydicom.uid import SecondaryCaptureImageStorage, generate_uid

    ds = pydicom.Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, generate_uid()
    ds.set_pixel_data(np.ascontiguousarray(image), photometric_interpretation="RGB", bits_stored=8)
    ds.PixelSpacing = [f"{um_per_px / 1000:.6f}"] * 2
    ds.save_as(path, enforce_file_format=True)
    return str(path)


def test_visit_with_mixed_calibrations_is_refused_before_detection(tmp_path, monkeypatch, scene):
    """Two baseline DICOMs whose Pixel Spacings differ: one line, no detection run, nothing written."""
    (base, follow), _, _ = scene
    img = np.asarray(Image.open(base).convert("RGB"))
    b1, b2 = _dicom(tmp_path / "b1.dcm", img, 5.0), _dicom(tmp_path / "b2.dcm", img, 6.0)

    def never(*args, **kwargs):
        raise AssertionError("hairs were detected before the calibrations were checked")

    monkeypatch.setattr("trichometry.cli.compare.detect_hairs", never)
    out = tmp_path / "out"
    args = ["compare", b1, follow, "--baseline-also", b2, "--followup-um-per-px", "5", "--out", str(out)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code != 0 and "Traceback" not in res.output, res.output
    assert "visit 'baseline' have different calibrations [5.0, 6.0]" in res.output
    assert not out.exists() or not any(out.iterdir())


def test_unreadable_image_is_refused(tmp_path):
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"not an image")
    res = CliRunner().invoke(
        cli, ["compare", str(bad), str(bad), "--um-per-px", "5", "--out", str(tmp_path / "o")]
    )
    assert res.exit_code != 0 and "Traceback" not in res.output


@pytest.mark.parametrize("method", ["model", "classical"])
def test_real_detection_runs_end_to_end(tmp_path, scene, method):
    """No monkeypatch: the shipped model's (the default) or the classical detector's hairs go
    through registration and matching.

    Either the comparison is written in full, or registration refuses it with one clear
    line and nothing is written (a detector may find too few consistent hairs).
    """
    (base, follow), _, _ = scene
    out = tmp_path / "out"
    args = ["compare", base, follow, "--um-per-px", "5", "--method", method, "--out", str(out)]
    res = CliRunner().invoke(cli, args)
    if res.exit_code == 0:
        rec = json.loads((out / "compare.json").read_text())
        assert rec["baseline_count"] == rec["matched"] + rec["lost"]
        assert (out / "compare_overlay.png").is_file()
    else:
        assert "cannot be aligned" in res.output and "Traceback" not in res.output
        assert not (out / "compare.json").exists()


def test_followup_without_usable_image_is_refused(tmp_path, scene):
    """A blank follow-up photo fails quality control: one line, nothing written."""
    (base, _), _, _ = scene
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((448, 512, 3), 128, np.uint8)).save(blank)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["compare", base, str(blank), "--um-per-px", "5", "--out", str(out)])
    assert res.exit_code != 0 and "no usable image" in res.output and "Traceback" not in res.output
    assert not (out / "compare.json").exists()
