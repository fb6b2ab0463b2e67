"""``trichometry model``: one group for the checkpoint tools, which record how they were run."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from click.testing import CliRunner

from trichometry.cli.main import cli
from trichometry.models import create_model, load_checkpoint, model_kwargs, save_checkpoint


def test_calibrate_through_the_group_records_its_command_and_info_shows_it(tmp_path: Path) -> None:
    torch.manual_seed(0)
    save_checkpoint(
        tmp_path / "a.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    runner = CliRunner()
    args = ["model", "calibrate", str(tmp_path / "a.pt"), str(tmp_path / "b.pt"), "--scenes", "1",
            "--scene-size", "64", "48", "--device", "cpu"]  # fmt: skip
    r = runner.invoke(cli, args)
    assert r.exit_code == 0, r.output
    run_with = load_checkpoint(tmp_path / "b.pt")["postprocessing"]["run_with"]
    assert run_with["tool"] == "trichometry model calibrate"
    assert run_with["args"]["scenes"] == 1 and run_with["args"]["src"] == str(tmp_path / "a.pt")
    assert run_with["trichometry_version"] and run_with["at"]
    r = runner.invoke(cli, ["model", "info", str(tmp_path / "b.pt")])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert (
        doc["arch"] == "dense" and doc["postprocessing"]["run_with"]["tool"] == "trichometry model calibrate"
    )


def test_the_group_lists_every_tool_and_refuses_a_missing_checkpoint(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["model", "--help"])
    for tool in ("calibrate", "calibrate-candidates", "validate", "export", "pseudolabel", "info"):
        assert tool in r.output
    r = runner.invoke(cli, ["model", "info", str(tmp_path / "none.pt")])
    assert r.exit_code != 0 and "does not exist" in r.output
