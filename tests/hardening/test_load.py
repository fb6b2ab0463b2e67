"""Load (RELIABILITY.md test 15), reduced for CI: concurrent uploads, some hostile, on loopback.

The full run is ``python benchmarks/load/run_load.py --requests 2000 --clients 32``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "load" / "run_load.py"


def _load_module():
    spec = importlib.util.spec_from_file_location("run_load", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.timeout(300)
def test_concurrent_uploads_with_hostile_files_hold():
    figures = _load_module().run(requests=120, clients=6, hostile_share=0.25, repeat_share=0.15, seed=1)
    assert figures["requests"] == 120
    assert figures["checks"] == {k: True for k in figures["checks"]}, figures
    kinds = {k.split(":")[0] for k in figures["status_by_kind"]}
    assert {"valid", "repeat", "bomb", "html", "oversize", "truncated"} <= kinds
    assert figures["records_stored"] < 120  # repeats and hostile files made no extra records


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_full_load_run():
    figures = _load_module().run(requests=2000, clients=32, hostile_share=0.2, repeat_share=0.1, seed=0)
    assert all(figures["checks"].values()), figures
