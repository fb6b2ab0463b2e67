from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from trichometry.cli.main import cli
from trichometry.data import Dataset
from trichometry.synth.subject_truth import SubjectTruth

SMALL = ["--width", "96", "--height", "80", "--um-per-px", "8", "--visits", "baseline,1m", "--quiet"]


def _run(*args):
    return CliRunner().invoke(cli, ["simulate", *args])


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_same_seed_gives_byte_identical_folders(tmp_path):
    for name in ("a", "b"):
        res = _run("--out", str(tmp_path / name), "--subjects", "2", "--seed", "3", *SMALL)
        assert res.exit_code == 0, res.output
        assert "wrote 4 images of 2 subject(s)" in res.output
    files = _files(tmp_path / "a")
    # dataset.json + manifest, 2 subjects, 4 x (image, json, 4 maps, overlay mask)
    assert files == _files(tmp_path / "b") and len(files) == 2 + 2 + 4 * 7
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    res = _run("--out", str(tmp_path / "c"), "--subjects", "2", "--seed", "4", *SMALL)
    assert (tmp_path / "a" / "images" / "S001_1m.png").read_bytes() != (
        tmp_path / "c" / "images" / "S001_1m.png"
    ).read_bytes()


def test_written_cohort_reads_back_with_longitudinal_truth(tmp_path):
    out = tmp_path / "cohort"
    res = _run(
        "--out",
        str(out),
        "--subjects",
        "3",
        "--seed",
        "1",
        "--split",
        "test",
        "--set",
        "density_per_cm2=250",
        *SMALL,
    )
    assert res.exit_code == 0, res.output
    ds = Dataset(out, verify=True)
    assert ds.subjects() == ["S001", "S002", "S003"] and ds.ids("test") == ds.ids()
    assert [r.arm for r in ds.rows[::2]] == ["treated", "control", "treated"]
    row = ds.row("S002_1m")
    assert (row.visit, row.date, row.days_since_baseline, row.site) == ("1m", "2025-02-05", 30, "vertex")
    truth = SubjectTruth.from_dict(ds.subject_truth("S002"))
    sample = ds.sample("S002_1m")
    assert sample.truth.count == truth.visits[1].frame_count == row.n_hairs
    fids = {f.follicle_id for f in truth.follicles if f.states[1].active}
    assert {h.follicle_id for h in sample.truth.hairs} <= fids
    assert ds.info["provenance"]["scene_overrides"]["density_per_cm2"] == 250.0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--visits", "baseline,5x"], "unknown visit"),
        (["--visits", "1m,baseline"], "first visit must be the baseline"),
        (["--um-per-px", "-2"], "um_per_px"),
        (["--set", "density_per_cm2=lots"], "not a number"),
        (["--set", "hair_colour=1"], "unknown scene parameter"),
        (["--arms", "treated,placebo"], "arms"),
        (["--start-date", "2025-13-01"], "start_date"),
        (["--split", "auto", "--val-fraction", "0.8", "--test-fraction", "0.5"], "must not exceed 1"),
    ],
)
def test_bad_input_is_one_clear_error_line_and_writes_nothing(tmp_path, args, match):
    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli, ["simulate", "--out", str(out), "--width", "64", "--height", "48", "--quiet", *args]
    )
    assert res.exit_code != 0
    assert match in res.output
    assert "Traceback" not in res.output and res.output.strip().count("\n") == 0
    assert os.listdir(tmp_path) == []


def test_click_level_bad_numbers(tmp_path):
    res = _run("--out", str(tmp_path / "o"), "--subjects", "0")
    assert res.exit_code == 2 and "--subjects" in res.output


def test_unwritable_output_and_existing_folder(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    res = _run("--out", str(blocker / "cohort"), *SMALL)
    assert res.exit_code == 1 and "Error: cannot create output folder" in res.output
    (tmp_path / "exists").mkdir()
    res = _run("--out", str(tmp_path / "exists"), *SMALL)
    assert res.exit_code == 1 and "already exists" in res.output


def test_failure_mid_way_leaves_nothing(tmp_path, monkeypatch):
    """A crash while rendering the 3rd image leaves no folder and no temporary files."""
    import trichometry.synth.longitudinal as lg

    calls = {"n": 0}
    real = lg.render

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise MemoryError("simulated crash")
        return real(*a, **k)

    monkeypatch.setattr(lg, "render", flaky)
    res = _run("--out", str(tmp_path / "cohort"), "--subjects", "2", *SMALL)
    assert res.exit_code != 0 and isinstance(res.exception, MemoryError)
    assert calls["n"] == 3
    assert os.listdir(tmp_path) == []


def test_several_photos_per_visit(tmp_path):
    out = tmp_path / "c"
    res = _run("--out", str(out), "--subjects", "1", "--photos-per-visit", "2", *SMALL)
    assert res.exit_code == 0, res.output
    ds = Dataset(out)
    assert ds.ids() == ["S001_baseline", "S001_baseline_p1", "S001_1m", "S001_1m_p1"]
    a, b = ds.row("S001_1m"), ds.row("S001_1m_p1")
    assert (a.visit, a.date, a.subject) == (b.visit, b.date, b.subject)
    assert a.image_sha256 != b.image_sha256


def test_preset_and_style_write_the_heldout_style(tmp_path):
    res = _run("--out", str(tmp_path / "h"), "--subjects", "1", "--preset", "heldout_style", *SMALL)
    assert res.exit_code == 0, res.output
    ds = Dataset(tmp_path / "h", verify=True)
    prov = ds.info["provenance"]
    assert (prov["scene_preset"], prov["style"]) == ("heldout_style", "heldout")
    for image_id in ds.ids():
        assert ds.sample(image_id).truth.params["style"] == "heldout"
    # --style overrides the preset's (the same scene mix in the standard style) and works alone
    res = _run(
        "--out",
        str(tmp_path / "s"),
        "--subjects",
        "1",
        "--preset",
        "heldout_style",
        "--style",
        "standard",
        *SMALL,
    )
    assert res.exit_code == 0, res.output
    ds = Dataset(tmp_path / "s")
    assert "style" not in ds.info["provenance"] and "style" not in ds.sample(ds.ids()[0]).truth.params
    res = _run("--out", str(tmp_path / "a"), "--subjects", "1", "--style", "heldout", *SMALL)
    assert res.exit_code == 0, res.output
    ds = Dataset(tmp_path / "a")
    assert ds.info["provenance"]["style"] == "heldout" and "scene_preset" not in ds.info["provenance"]
    assert ds.info["provenance"]["scene_overrides"]["style"] == "heldout"
    a = (tmp_path / "a" / "images" / "S001_1m.png").read_bytes()
    res = _run("--out", str(tmp_path / "d"), "--subjects", "1", *SMALL)
    assert res.exit_code == 0, res.output
    assert a != (tmp_path / "d" / "images" / "S001_1m.png").read_bytes()
    prov = Dataset(tmp_path / "d").info["provenance"]
    assert "style" not in prov and "scene_preset" not in prov  # default folders keep their bytes


def test_preset_and_style_choices_match_the_generator(tmp_path):
    from trichometry.cli.simulate import _PRESET_NAMES, _STYLE_NAMES
    from trichometry.synth.ranges import PRESETS, STYLES

    assert sorted(_PRESET_NAMES) == sorted(PRESETS) and list(_STYLE_NAMES) == list(STYLES)
    res = _run("--out", str(tmp_path / "x"), "--style", "cartoon", *SMALL)
    assert res.exit_code == 2 and "--style" in res.output and os.listdir(tmp_path) == []
