"""Training data of the segment network: real box photos and cached generated scenes.

Real photos (a Pascal-VOC folder such as FDU) are split three ways: its ``val`` split is
never read here; its ``train`` split gives the **fit** images and, every
``fdu_holdout_every``-th id (sorted), the **tune** images on which validation during
training, calibration and model selection happen (:func:`box_ids`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from trichometry.errors import ConfigError
from trichometry.inference.resample import resample_image
from trichometry.training.config import AugmentationConfig, DataConfig
from trichometry.training.datasets import draw_scene
from trichometry.training.seg_items import Geometry, augment, box_segments, truth_segments
from trichometry.training.seg_targets import Segments, TargetSpec, render_targets
from trichometry.training.transforms import photometric_ops

logger = logging.getLogger(__name__)

VAL_SEED_OFFSET = 10_000_000  # generated validation scenes use seeds far from the training ones
BOX_SPLITS = ("fit", "tune")


def box_ids(layout: Any, split: str, holdout_every: int) -> list[str]:
    """Ids of the ``fit`` or ``tune`` part of a box folder's ``train`` split.

    Raises:
        ConfigError: an unknown split or a holdout period below 2.
    """
    if split not in BOX_SPLITS:
        raise ConfigError(f"box split must be one of {BOX_SPLITS}, got {split!r}.")
    if holdout_every < 2:
        raise ConfigError(f"data.fdu_holdout_every must be at least 2, got {holdout_every}.")
    ids = sorted(layout.ids("train"))
    tune = set(ids[::holdout_every])
    return [i for i in ids if (i in tune) == (split == "tune")]


def target_spec(cfg: DataConfig) -> TargetSpec:
    return TargetSpec(
        stride=4,
        sigma_per_length=cfg.centre_sigma_per_length,
        sigma_min=cfg.centre_sigma_min,
        sigma_max=cfg.centre_sigma_max,
    )


def photometric(cfg: AugmentationConfig) -> A.Compose:
    """Colour, blur, noise and JPEG changes (image only), as the dense training uses."""
    return A.Compose(photometric_ops(cfg))


def to_tensors(
    image: np.ndarray, valid: np.ndarray, seg: Segments, spec: TargetSpec
) -> dict[str, torch.Tensor]:
    """One training item as tensors (image ``(3, C, C)`` in [0, 1], grid targets)."""
    c = image.shape[0]
    t = render_targets(seg, image.shape[0], image.shape[1], spec)
    s = spec.stride
    cells = valid[s // 2 :: s, s // 2 :: s][: t["heat"].shape[1], : t["heat"].shape[2]]
    out = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in t.items()}
    out["image"] = torch.from_numpy(image).permute(2, 0, 1).float().div_(255.0)
    out["valid"] = torch.from_numpy(cells.astype(np.float32))[None]
    out["count"] = torch.tensor(int(t["reg_mask"].sum()), dtype=torch.long)
    assert out["image"].shape[-1] == c
    return out


def _rng() -> np.random.Generator:
    return np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,)).item()))


class SegmentBoxDataset(Dataset):
    """Real box photos resampled to the canonical scale (held in memory), random crops."""

    def __init__(self, cfg: DataConfig, split: str, aug: AugmentationConfig, progress: bool = False) -> None:
        from trichometry.data.format import decode_image, read_bytes
        from trichometry.data.voc import find_voc_layout, read_voc_annotation

        if not cfg.fdu_root:
            raise ConfigError("data.fdu_root is not set; give the Pascal-VOC folder to train on box data.")
        layout = find_voc_layout(cfg.fdu_root)
        self.ids = box_ids(layout, split, cfg.fdu_holdout_every)
        self.geo = Geometry(cfg.crop_px, cfg.scale_jitter, aug.flips)
        self.photo = photometric(aug)
        self.spec = target_spec(cfg)
        factor = cfg.fdu_um_per_px / cfg.canonical_um_per_px
        self.images: list[np.ndarray] = []
        self.segments: list[Segments] = []
        for image_id in tqdm(self.ids, desc=f"reading {split} photos", disable=not progress):
            ann, _, path = read_voc_annotation(layout, image_id, um_per_px=cfg.fdu_um_per_px)
            image = decode_image(read_bytes(path, "image"), path, color=True)
            boxes, _ = ann.as_arrays()
            self.segments.append(box_segments(image, boxes).scaled(factor))
            self.images.append(resample_image(image, factor))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        image, valid, seg = augment(self.images[idx], self.segments[idx], self.geo, _rng())
        if self.photo.transforms:
            image = self.photo(image=image)["image"]
        return to_tensors(image, valid, seg, self.spec)


def synth_scene(cfg: DataConfig, seed: int) -> dict[str, np.ndarray]:
    """Generated scene ``seed`` at a scale drawn from ``um_per_px_range``, resampled to canonical."""
    sample = draw_scene(cfg, seed)
    um = sample.truth.um_per_px
    factor = um / cfg.canonical_um_per_px
    seg = truth_segments(sample.truth, factor, cfg.segment_cap_um)
    return {"image": resample_image(sample.image, factor), "um_per_px": np.float64(um), **seg.to_arrays()}


def _cache_key(cfg: DataConfig, split: str) -> str:
    keys = ("scene_px", "canonical_um_per_px", "um_per_px_range", "density_per_cm2", "seed", "segment_cap_um")
    fields: dict[str, Any] = {k: getattr(cfg, k) for k in keys}
    fields.update(synth_overrides=dict(cfg.synth_overrides), split=split, kind="segments-v1")
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=list).encode()).hexdigest()[:16]


class SegmentSynthDataset(Dataset):
    """Generated scenes with directed segments, cached once as ``.npz`` under ``cache``."""

    def __init__(
        self, cfg: DataConfig, split: str, aug: AugmentationConfig, cache: Path, progress: bool = False
    ) -> None:
        if split not in ("train", "val"):
            raise ConfigError(f"split must be 'train' or 'val', got {split!r}.")
        self.cfg, self.split = cfg, split
        self.size = cfg.train_size if split == "train" else cfg.val_size
        self.seed0 = cfg.seed * 1_000_003 + (0 if split == "train" else VAL_SEED_OFFSET)
        self.dir = Path(cache) / f"seg-{split}-{_cache_key(cfg, split)}"
        self.geo = Geometry(cfg.crop_px, cfg.scale_jitter, aug.flips)
        self.photo = photometric(aug)
        self.spec = target_spec(cfg)
        self.dir.mkdir(parents=True, exist_ok=True)
        todo = [i for i in range(self.size) if not self._path(i).is_file()]
        for i in tqdm(todo, desc=f"caching {split} scenes", disable=not progress or not todo):
            tmp = self._path(i).with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, **synth_scene(cfg, self.seed0 + i))
            tmp.replace(self._path(i))  # a killed run never leaves a half-written scene

    def _path(self, idx: int) -> Path:
        return self.dir / f"{idx:06d}.npz"

    def scene(self, idx: int) -> tuple[np.ndarray, Segments, float]:
        """``(image, segments, um_per_px drawn)`` of scene ``idx`` at the canonical scale."""
        with np.load(self._path(idx)) as z:
            return z["image"], Segments.from_arrays(z), float(z["um_per_px"])

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        image, seg, _ = self.scene(idx)
        image, valid, seg = augment(image, seg, self.geo, _rng())
        if self.photo.transforms:
            image = self.photo(image=image)["image"]
        return to_tensors(image, valid, seg, self.spec)
