"""Training data sets: synthetic scenes (cached or on the fly) and weak real box data."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from trichometry.errors import ConfigError
from trichometry.training.config import DataConfig
from trichometry.training.targets import boxes_to_item, point_sigmas, render_heatmap, sample_to_item
from trichometry.training.transforms import apply_transform

logger = logging.getLogger(__name__)

VAL_SEED_OFFSET = 10_000_000  # validation scenes use seeds far from the training ones


def draw_scene(cfg: DataConfig, seed: int) -> Any:
    """Scene ``seed`` at a scale drawn log-uniformly from ``cfg.um_per_px_range``, sized to
    cover ``cfg.scene_px`` canonical px (a :class:`~trichometry.truth.Sample`)."""
    from trichometry.synth import generate_sample

    rng = np.random.default_rng(seed)
    lo, hi = cfg.um_per_px_range
    um = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    side = max(16, round(cfg.scene_px * cfg.canonical_um_per_px / um))
    overrides = {"density_per_cm2": tuple(cfg.density_per_cm2), **dict(cfg.synth_overrides)}
    return generate_sample(seed, width=side, height=side, um_per_px=um, **overrides)


def synth_item(cfg: DataConfig, seed: int) -> dict[str, np.ndarray]:
    """Generate scene ``seed`` (:func:`draw_scene`), resampled to canonical."""
    return sample_to_item(draw_scene(cfg, seed), cfg.canonical_um_per_px)


def _cache_key(cfg: DataConfig, split: str) -> str:
    fields = {
        k: getattr(cfg, k)
        for k in ("scene_px", "canonical_um_per_px", "um_per_px_range", "density_per_cm2", "seed")
    }
    fields["synth_overrides"] = dict(cfg.synth_overrides)
    fields["split"] = split
    try:
        from trichometry import __version__ as ver
    except ImportError:  # pragma: no cover
        ver = "?"
    fields["version"] = ver
    text = json.dumps(fields, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _to_tensors(item: dict[str, np.ndarray], cfg: DataConfig) -> dict[str, torch.Tensor]:
    h, w = item["shaft"].shape
    if "point_sigma_px" in item:
        sigmas = np.full(len(item["points"]), float(item["point_sigma_px"]))
    else:
        sigmas = point_sigmas(
            item["points"],
            item["diameter"],
            cfg.heatmap_sigma_px,
            cfg.heatmap_sigma_per_diameter,
            cfg.heatmap_sigma_max_px,
        )
    heat = render_heatmap(item["points"], h, w, sigmas)
    return {
        "image": torch.from_numpy(np.ascontiguousarray(item["image"])).permute(2, 0, 1).float() / 255.0,
        "shaft": torch.from_numpy(item["shaft"].astype(np.float32))[None],
        "shaft_weight": torch.from_numpy(item["shaft_weight"].astype(np.float32))[None],
        "exit": torch.from_numpy(heat)[None],
        "exit_weight": torch.from_numpy(item["exit_weight"].astype(np.float32))[None],
        "diameter": torch.from_numpy(item["diameter"].astype(np.float32))[None],
        "mil": torch.from_numpy(item["mil"].astype(np.int64))[None],
        "count": torch.tensor(len(item["points"]), dtype=torch.long),
    }


class SynthDataset(Dataset):
    """Synthetic scenes ``seed0 .. seed0 + size - 1`` as augmented training tensors.

    With ``cache`` set, every scene is generated once and stored as ``.npz`` under
    ``cache/<key>/`` (the key hashes the generator settings, so a changed setting never
    reuses stale scenes); otherwise items are generated on the fly (online).
    """

    def __init__(
        self, cfg: DataConfig, split: str, transform: Any, cache: Path | None = None, progress: bool = True
    ) -> None:
        if split not in ("train", "val"):
            raise ConfigError(f"split must be 'train' or 'val', got {split!r}.")
        self.cfg, self.split, self.transform = cfg, split, transform
        self.size = cfg.train_size if split == "train" else cfg.val_size
        self.seed0 = cfg.seed * 1_000_003 + (0 if split == "train" else VAL_SEED_OFFSET)
        self.cache = (
            None if cfg.online or cache is None else Path(cache) / f"{split}-{_cache_key(cfg, split)}"
        )
        if self.cache is not None:
            self._fill_cache(progress)

    def _path(self, idx: int) -> Path:
        assert self.cache is not None
        return self.cache / f"{idx:06d}.npz"

    def _fill_cache(self, progress: bool) -> None:
        assert self.cache is not None
        self.cache.mkdir(parents=True, exist_ok=True)
        todo = [i for i in range(self.size) if not self._path(i).is_file()]
        for i in tqdm(todo, desc=f"caching {self.split} scenes", disable=not progress or not todo):
            item = synth_item(self.cfg, self.seed0 + i)
            tmp = self._path(i).with_suffix(f".{os.getpid()}.tmp.npz")  # several ranks may fill at once
            np.savez(tmp, **item)
            tmp.replace(self._path(i))  # a killed run never leaves a half-written scene

    def raw_item(self, idx: int) -> dict[str, np.ndarray]:
        if self.cache is None:
            return synth_item(self.cfg, self.seed0 + idx)
        with np.load(self._path(idx)) as z:
            return {k: z[k] for k in z.files}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        item = apply_transform(self.transform, self.raw_item(idx))
        return _to_tensors(item, self.cfg)


class DiskDataset(Dataset):
    """Synthetic (``hairs``) images of a data set in the project's on-disk format, one split."""

    def __init__(self, cfg: DataConfig, split: str, transform: Any) -> None:
        from trichometry.data import Dataset as DataFolder

        if not cfg.disk_root:
            raise ConfigError("data.disk_root is not set; give a data set folder written by trichometry.")
        self.cfg, self.transform = cfg, transform
        self.folder = DataFolder(cfg.disk_root)
        self.ids = [i for i in self.folder.ids(split) if self.folder.row(i).annotation_type == "hairs"]
        if not self.ids:
            raise ConfigError(
                f"{cfg.disk_root} has no '{split}' images with full truth (annotation_type hairs); "
                "write some with `trichometry simulate` or choose another data option."
            )

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        item = sample_to_item(self.folder.sample(self.ids[idx]), self.cfg.canonical_um_per_px)
        return _to_tensors(apply_transform(self.transform, item), self.cfg)


class BoxDataset(Dataset):
    """Real images with one box per hair (Pascal-VOC, e.g. FDU), as weak training targets."""

    def __init__(self, cfg: DataConfig, split: str, transform: Any) -> None:
        from trichometry.data.voc import find_voc_layout

        if not cfg.fdu_root:
            raise ConfigError("data.fdu_root is not set; give the Pascal-VOC folder to use box data.")
        self.cfg, self.transform = cfg, transform
        self.layout = find_voc_layout(cfg.fdu_root)
        self.ids = self.layout.ids(split)
        if not self.ids:
            raise ConfigError(f"split {split!r} of {cfg.fdu_root} is empty; choose another split.")
        self.roots: dict[str, list] | None = None
        if cfg.fdu_roots:
            from trichometry.training.pseudolabel import load_roots

            self.roots = load_roots(cfg.fdu_roots, cfg.fdu_um_per_px)

    def __len__(self) -> int:
        return len(self.ids)

    def load(self, idx: int) -> tuple[np.ndarray, np.ndarray]:
        """``(image (H, W, 3) uint8 RGB, boxes (N, 4))`` of item ``idx`` at the file's scale."""
        from trichometry.data.format import decode_image, read_bytes
        from trichometry.data.voc import read_voc_annotation

        ann, _, img_path = read_voc_annotation(self.layout, self.ids[idx], um_per_px=self.cfg.fdu_um_per_px)
        image = decode_image(read_bytes(img_path, "image"), img_path, color=True)
        boxes, _ = ann.as_arrays()
        return image, boxes

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        image, boxes = self.load(idx)
        roots = None
        if self.roots is not None:  # an image the labels do not cover: no roots, boxes as usual
            roots = self.roots.get(self.ids[idx])
        item = boxes_to_item(
            image,
            boxes,
            self.cfg.fdu_um_per_px,
            self.cfg.canonical_um_per_px,
            self.cfg.fdu_border_ignore_px,
            roots=roots,
        )
        item = _crop_around_box(
            item, boxes * (self.cfg.fdu_um_per_px / self.cfg.canonical_um_per_px), self.cfg.crop_px
        )
        before = np.bincount(item["mil"].ravel())
        item = apply_transform(self.transform, item)
        # A box whose corner squares the crop cut may have its exit point outside the crop:
        # drop it from the multiple-instance loss instead of forcing a peak inside.
        after = np.bincount(item["mil"].ravel(), minlength=len(before))
        cut = np.nonzero(after[: len(before)] < before)[0]
        cut = cut[cut > 0]
        if len(cut):
            item["mil"] = np.where(np.isin(item["mil"], cut), 0, item["mil"]).astype(np.int32)
        # real boxes carry no diameter map: their roots get the widest exit Gaussian, as
        # the terminal hairs of 70x photos (15-25 canonical px wide) do in generated scenes
        c = self.cfg
        scaled = c.heatmap_sigma_per_diameter > 0
        item["point_sigma_px"] = c.heatmap_sigma_max_px if scaled else c.heatmap_sigma_px
        return _to_tensors(item, self.cfg)


def _crop_around_box(item: dict[str, np.ndarray], boxes: np.ndarray, crop_px: int) -> dict[str, np.ndarray]:
    """Cut a ``crop_px`` square that holds one randomly chosen box whole (when it fits).

    Random crops of a large real image seldom hold a whole hair box, and only whole boxes
    give the multiple-instance exit-point signal; so box items are cut around a box.
    """
    h, w = item["shaft"].shape
    if len(boxes) == 0 or (h <= crop_px and w <= crop_px):
        return item
    k = int(torch.randint(len(boxes), (1,)).item())
    x0, y0, x1, y1 = boxes[k]

    def start(lo: float, hi: float, size: int) -> int:
        a = int(np.clip(np.ceil(hi) + 1 - crop_px, 0, max(size - crop_px, 0)))
        b = int(np.clip(np.floor(lo), 0, max(size - crop_px, 0)))
        if a > b:  # the box is larger than the crop: centre on it
            return int(np.clip(round((lo + hi - crop_px) / 2), 0, max(size - crop_px, 0)))
        return int(torch.randint(a, b + 1, (1,)).item())

    sx, sy = start(x0, x1, w), start(y0, y1, h)
    out = {k_: v[sy : sy + crop_px, sx : sx + crop_px] for k_, v in item.items() if k_ != "points"}
    ch, cw = out["shaft"].shape
    pts = np.asarray(item["points"], np.float64).reshape(-1, 2) - [sx, sy]
    inside = (pts[:, 0] >= -0.5) & (pts[:, 0] < cw - 0.5) & (pts[:, 1] >= -0.5) & (pts[:, 1] < ch - 0.5)
    out["points"] = pts[inside]
    return out


class MixedDataset(Dataset):
    """Synthetic items with a share of box items interleaved (deterministic by index)."""

    def __init__(self, synth: Dataset, boxes: Dataset, fraction: float) -> None:
        if not 0.0 < fraction < 1.0:
            raise ConfigError(f"data.fdu_fraction must lie in (0, 1) to mix, got {fraction}.")
        self.synth, self.boxes, self.fraction = synth, boxes, fraction
        self.n_box = max(1, round(len(synth) * fraction / (1 - fraction)))
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Walk on through the box set so that each epoch sees other real images."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.synth) + self.n_box

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        if idx < len(self.synth):
            return self.synth[idx]
        j = idx - len(self.synth) + self.epoch * self.n_box
        return self.boxes[j % len(self.boxes)]
