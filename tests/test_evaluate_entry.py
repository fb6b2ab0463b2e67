"""evaluate.py: the real configs compose, and a tiny run writes the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

from trichometry.evaluation.config import register_configs
from trichometry.evaluation.run import evaluate

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "methods=[truth]",
    "data.n_subjects=1",
    "data.visits=[baseline,1m]",
    "data.photos_per_visit=2",
    "data.um_per_px=8.0",
    "data.width=384",
    "data.height=320",
]


def test_configs_compose_and_tiny_run_writes_report(tmp_path):
    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("evaluate", overrides=[*TINY, f"out_dir={tmp_path}"])
        dataset_cfg = compose("evaluate", overrides=["eval/data=dataset", "data.root=/nowhere"])
    assert dataset_cfg.data.source == "dataset" and dataset_cfg.data.split == "test"
    results = evaluate(cfg)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bland_altman_counts.png", "change_error.png", "report.md", "results.json",
    ]  # fmt: skip
    on_disk = json.loads((tmp_path / "results.json").read_text())
    change = on_disk["methods"]["truth"]["change"]["1m"]
    assert change["n_visits"] == 1 and change["matched_error_pp"]["mae"] == 0.0
    assert results["methods"]["truth"]["photos"]["detection"]["f1"] == 1.0


def test_entry_script_prints_its_config():
    out = subprocess.run(
        [sys.executable, str(ROOT / "evaluate.py"), "--cfg", "job", "methods=[truth]"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "methods:" in out.stdout and "seed_start: 900000" in out.stdout
