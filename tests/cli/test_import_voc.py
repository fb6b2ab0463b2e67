from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from click.testing import CliRunner

from trichometry.cli.main import cli
from trichometry.data import Dataset

_spec = importlib.util.spec_from_file_location(
    "voc_helpers", Path(__file__).parents[1] / "data" / "test_voc.py"
)
voc_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(voc_helpers)


def test_import_voc_command(tmp_path):
    src = voc_helpers.make_voc(tmp_path / "voc")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli, ["import-voc", str(src), "--out", str(out), "--um-per-px", "3.1", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert "imported 3 images (train 2, val 1) with 9 boxes" in res.output
    assert "swapped corners sorted: 3; dropped: degenerate 3, outside 3" in res.output
    ds = Dataset(out)
    assert ds.row("b1").um_per_px == 3.1 and ds.boxed("b1").annotation.count == 3


def test_import_voc_link_mode_refers_to_originals(tmp_path):
    src = voc_helpers.make_voc(tmp_path / "voc")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["import-voc", str(src), "--out", str(out), "--link", "--quiet"])
    assert res.exit_code == 0, res.output
    assert not (out / "images" / "a1.jpg").exists()
    assert Dataset(out).row("a1").image == (src / "images" / "a1.jpg").resolve().as_posix()


def test_import_voc_errors(tmp_path):
    res = CliRunner().invoke(cli, ["import-voc", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "does not exist" in res.output
    src = voc_helpers.make_voc(tmp_path / "voc")
    res = CliRunner().invoke(cli, ["import-voc", str(src), "--out", str(tmp_path / "o"), "--um-per-px", "0"])
    assert res.exit_code == 1 and "um_per_px" in res.output
    (src / "annotations" / "a2.xml").write_text("<annotation><size>")
    res = CliRunner().invoke(cli, ["import-voc", str(src), "--out", str(tmp_path / "o"), "--quiet"])
    assert res.exit_code == 1 and "a2.xml is not well-formed XML" in res.output
    res = CliRunner().invoke(
        cli, ["import-voc", str(src), "--out", str(tmp_path / "o"), "--classes", "premium"]
    )
    assert res.exit_code == 1
    assert sorted(os.listdir(tmp_path)) == ["voc"]
