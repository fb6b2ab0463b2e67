"""``trichometry analyze``: a batch with a good and broken files completes and reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from trichometry.cli.main import cli
from trichometry.outputs import REQUIRED_KEYS
from trichometry.synth import generate_sample

SCENE = dict(width=320, height=256, um_per_px=8.0, defocus_px=0.8, glare_spots=0, density_per_cm2=(200, 250))
SCENE.update(p_strip=0.0, p_scale_bar=0.0, p_circle=0.0, bubbles=0)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "visit"
    d.mkdir()
    Image.fromarray(generate_sample(11, **SCENE).image).save(d / "good.png")
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)  # JPEG magic, then nothing
    (d / "notes.txt").write_text("ignored: not an image suffix")
    return d


def _run(*args: str):
    return CliRunner().invoke(cli, ["analyze", *args], catch_exceptions=False)


def test_folder_with_good_and_broken_file(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = _run(str(folder), "--um-per-px", "8", "--method", "classical", "--out", str(out))
    assert res.exit_code == 1
    failed = [ln for ln in res.output.splitlines() if ln.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].count("broken.jpg") == 1 and "damaged" in failed[0]
    assert sorted(p.name for p in out.iterdir()) == ["good.json", "good_overlay.png", "measurements.csv"]
    doc = json.loads((out / "good.json").read_text())
    assert set(REQUIRED_KEYS) <= set(doc) and doc["status"] == "ok" and doc["model"]["method"] == "classical"
    assert doc["um_per_px"] == 8.0 and doc["density_per_cm2"] is not None
    with (out / "measurements.csv").open() as fh:
        rows = {Path(r["file"]).name: r for r in csv.DictReader(fh)}
    assert set(rows) == {"good.png", "broken.jpg"}
    assert rows["broken.jpg"]["status"] == "failed" and "damaged" in rows["broken.jpg"]["error"]
    assert rows["good.png"]["status"] == "ok" and int(rows["good.png"]["hair_count"]) == doc["hair_count"]
    assert "1 failed" in res.output


def test_all_good_exits_zero_and_uncalibrated_has_no_density(folder: Path, tmp_path: Path) -> None:
    (folder / "broken.jpg").unlink()
    out = tmp_path / "out"
    res = _run(str(folder / "good.png"), "--method", "classical", "--no-overlay", "--out", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "good.json").read_text())
    assert doc["density_per_cm2"] is None and "uncalibrated" in doc["flags"]
    assert not (out / "good_overlay.png").exists()


def test_bad_options_fail_fast_with_one_line(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for args, match in (
        (["--device", "nope"], "unknown device"),
        (["--um-per-px", "-3"], "plausible range"),
        (["--convention", "bogus"], "convention"),
        (["--model", str(tmp_path / "missing.pt")], ""),
    ):
        res = CliRunner().invoke(cli, ["analyze", str(folder), "--out", str(out), *args])
        assert res.exit_code != 0, args
        assert "Traceback" not in res.output and match in res.output, (args, res.output)
    assert not out.exists()  # nothing written when the options are wrong


def test_list_devices() -> None:
    res = CliRunner().invoke(cli, ["analyze", "--list-devices"])
    assert res.exit_code == 0 and "fdu-70x: 70x: 2.8 um/px" in res.output and "EXAMPLE" in res.output


def test_rerun_into_a_subfolder_does_not_analyse_its_own_overlays(folder: Path) -> None:
    (folder / "broken.jpg").unlink()
    out = folder / "results"
    for _ in range(2):
        res = _run(str(folder), "-r", "--um-per-px", "8", "--method", "classical", "--out", str(out))
        assert res.exit_code == 0, res.output
        assert "analysed 1 file(s)" in res.output
