from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from trichometry.errors import ConfigError
from trichometry.training.config import AugmentationConfig, DataConfig
from trichometry.training.datasets import BoxDataset, MixedDataset, SynthDataset
from trichometry.training.transforms import build_transform


def test_synthetic_cache_is_reused_and_keyed_by_settings(tmp_path: Path) -> None:
    pytest.importorskip("trichometry.synth")
    cfg = DataConfig(train_size=3, val_size=2, scene_px=48, crop_px=32, density_per_cm2=(600.0, 600.0))
    tf = build_transform(AugmentationConfig(), 32)
    ds = SynthDataset(cfg, "train", tf, tmp_path, progress=False)
    files = sorted(ds.cache.glob("*.npz"))
    assert len(files) == 3
    stamp = [f.stat().st_mtime_ns for f in files]
    again = SynthDataset(cfg, "train", tf, tmp_path, progress=False)
    assert [f.stat().st_mtime_ns for f in sorted(again.cache.glob("*.npz"))] == stamp
    other = SynthDataset(
        DataConfig(**{**cfg.__dict__, "scene_px": 40}), "train", tf, tmp_path, progress=False
    )
    assert other.cache != ds.cache
    val = SynthDataset(cfg, "val", tf, tmp_path, progress=False)
    assert val.seed0 != ds.seed0
    item = ds[0]
    assert item["image"].shape == (3, 32, 32) and item["image"].dtype == torch.float32
    assert item["exit"].max() <= 1 and item["mil"].dtype == torch.int64


def test_box_data_needs_a_root_and_mixing_needs_a_fraction() -> None:
    with pytest.raises(ConfigError, match="fdu_root"):
        BoxDataset(DataConfig(), "train", None)
    with pytest.raises(ConfigError, match="fdu_fraction"):
        MixedDataset([1, 2], [3], 1.0)  # type: ignore[arg-type]


@pytest.mark.fdu
def test_real_box_items_are_weak_targets(fdu_root: Path) -> None:
    cfg = DataConfig(fdu_root=str(fdu_root), crop_px=160)
    ds = BoxDataset(cfg, "val", build_transform(AugmentationConfig(), 160))
    item = ds[0]
    assert item["image"].shape == (3, 160, 160)
    assert float(item["shaft"].sum()) == 0 and float(item["exit"].sum()) == 0  # no positives assumed
    assert 0 < float(item["shaft_weight"].mean()) < 1  # boxes and border are ignored
    assert int(item["mil"].max()) > 0  # the crop holds at least one whole box


def test_a_crop_around_a_box_moves_the_points_with_it() -> None:
    from trichometry.training.datasets import _crop_around_box

    item = {"shaft": np.zeros((100, 120), np.float32), "points": np.array([[50.0, 40.0], [5.0, 5.0]])}
    torch.manual_seed(0)
    out = _crop_around_box(item, np.array([[45.0, 35.0, 60.0, 50.0]]), 32)
    assert out["shaft"].shape == (32, 32)
    # the root inside the box stays inside the crop at its shifted place; the far one is dropped
    assert len(out["points"]) == 1
    x, y = out["points"][0]
    assert 0 <= x < 32 and 0 <= y < 32 and (50.0 - x) == int(50.0 - x)
