from __future__ import annotations

from click.testing import CliRunner

import trichometry.demo as demo_lib
from trichometry.cli.main import cli


def test_demo_prints_truth_beside_measurement_and_how_to_open_the_app(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_lib, "DEMO_SCENE", {"width": 256, "height": 224, "um_per_px": 4.0})
    out = tmp_path / "demo"
    res = CliRunner().invoke(cli, ["demo", "--out", str(out), "--quiet", "--method", "classical"])
    assert res.exit_code == 0, res.output
    assert "Per photo" in res.output and "hair to hair" in res.output
    assert (
        f"trichometry serve --data {out.resolve() / 'clinic'}" in res.output or "serve --data" in res.output
    )
    assert "log in as admin / " in res.output


def test_demo_refuses_to_replace_other_folders(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    res = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "mine"), "--quiet"])
    assert res.exit_code == 1 and "not an earlier trichometry demo" in res.output
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
