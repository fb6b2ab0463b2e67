"""Shared fixtures. Test data is made on the fly; the real FDU set is optional."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FDU_ROOT = Path(os.environ.get("TRICHOMETRY_FDU", REPO_ROOT.parent / "shared" / "data" / "fdu"))


@pytest.fixture(scope="session")
def fdu_root() -> Path:
    """The real FDU trichoscopy set beside the checkout; skips the test when absent."""
    if not (FDU_ROOT / "annotations").is_dir():
        pytest.skip(f"real data set not found at {FDU_ROOT} (set TRICHOMETRY_FDU to use it)")
    return FDU_ROOT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # torch missing or broken: GPU tests cannot run either
        has_cuda = False
    if not has_cuda:
        skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU; none is available here")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip_gpu)
