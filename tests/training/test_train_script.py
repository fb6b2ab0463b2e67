"""``train.py`` as a user runs it: Hydra run directory, --multirun, torchrun (slow: subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_train_py_writes_into_hydra_run_dir(tmp_path: Path) -> None:
    res = _run(
        [
            sys.executable,
            str(ROOT / "train.py"),
            "experiment=default",
            "debug=fast",
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
    assert (tmp_path / "run" / ".hydra" / "config.yaml").is_file()
    assert (tmp_path / "run" / "metrics.csv").is_file()


@pytest.mark.slow
def test_multirun_sweeps_two_models(tmp_path: Path) -> None:
    res = _run(
        [
            sys.executable,
            str(ROOT / "train.py"),
            "--multirun",
            "model=tiny,small",
            "debug=fast",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
            f"data.cache_dir={tmp_path / 'cache'}",
        ],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    for job in ("0", "1"):
        assert (tmp_path / "sweep" / job / "checkpoints" / "last.pt").is_file()


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path: Path) -> None:
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun not installed next to this Python")
    res = _run(
        [
            str(torchrun),
            "--standalone",
            "--nproc_per_node=2",
            str(ROOT / "train.py"),
            "debug=fast",
            "trainer.device=cpu",
            f"hydra.run.dir={tmp_path / 'ddp'}",
            f"data.cache_dir={tmp_path / 'cache'}",
        ],
        tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert (tmp_path / "ddp" / "checkpoints" / "last.pt").is_file()
