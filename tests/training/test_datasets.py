from __future__ import annotations

from pathlib import Path

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
