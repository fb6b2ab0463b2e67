"""Data, steps and validation of the segment network (the ``seg_*`` model variants).

Validation during training scores whole images at the canonical scale, decoded as the
predictor decodes them (threshold 0.3, no calibration):

* generated validation scenes: roots matched one to one to true exit points within
  60 um, exits counted inside the scene;
* the real photos' **tune** images (never fitted): roots matched to boxes (inside the box
  grown by 10 px at the photo's scale), count against the number of boxes.

``f1`` (which picks ``best.pt``) is the mean of the two F1s where both exist.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from trichometry.errors import ConfigError
from trichometry.evaluation.yardstick import box_matches, point_matches
from trichometry.inference.segments import decode
from trichometry.models.checkpoint import unwrap
from trichometry.training.config import TrainConfig
from trichometry.training.datasets import MixedDataset
from trichometry.training.seg_datasets import SegmentBoxDataset, SegmentSynthDataset
from trichometry.training.seg_loss import segment_loss

logger = logging.getLogger(__name__)

VAL_MATCH_UM = 60.0
VAL_THRESHOLD = 0.3
VAL_BOX_MARGIN_PX = 10.0  # at the photo's own scale, as the yardstick


def build_segment_datasets(cfg: TrainConfig, out_dir: Path, progress: bool) -> tuple[Dataset, dict[str, Any]]:
    """The training set (generated scenes mixed with real box photos) and validation sets."""
    d = cfg.data
    cache = Path(d.cache_dir) if d.cache_dir else out_dir / "cache"
    synth = SegmentSynthDataset(d, "train", cfg.augmentation, cache, progress)
    val: dict[str, Any] = {"synth": SegmentSynthDataset(d, "val", cfg.augmentation, cache, progress)}
    train: Dataset = synth
    if d.fdu_fraction > 0:
        if not d.fdu_root:
            raise ConfigError("data.fdu_fraction > 0 needs data.fdu_root (the Pascal-VOC box folder).")
        boxes = SegmentBoxDataset(d, "fit", cfg.augmentation, progress)
        train = boxes if d.fdu_fraction >= 1.0 else MixedDataset(synth, boxes, d.fdu_fraction)
        val["boxes"] = SegmentBoxDataset(d, "tune", cfg.augmentation, progress)
    return train, val


def segment_train_steps(
    model: torch.nn.Module, batches: Any, opt: Any, sched: Any, cfg: TrainConfig, device: torch.device, n: int
) -> dict[str, float]:
    """``n`` optimisation steps; returns the mean loss parts."""
    model.train()
    net = unwrap(model)
    sums: dict[str, float] = {}
    for _ in range(n):
        batch = {k: v.to(device, non_blocking=True) for k, v in next(batches).items()}
        loss, parts = segment_loss(model(batch["image"]), batch, cfg.loss, net.vector_scale)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
        opt.step()
        sched.step()
        parts["loss"] = float(loss.detach())
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v
    return {k: v / max(n, 1) for k, v in sums.items()}


@torch.no_grad()
def _maps(net: torch.nn.Module, image: np.ndarray, device: torch.device) -> np.ndarray:
    x = torch.from_numpy(np.ascontiguousarray(image)).to(device).permute(2, 0, 1)[None].float() / 255.0
    return net.activate(net(x))[0].float().cpu().numpy()


def _f1(tp: int, n_pred: int, n_true: int) -> float:
    return 2 * tp / (n_pred + n_true) if n_pred + n_true else 1.0


@torch.no_grad()
def evaluate_segments(
    model: torch.nn.Module, val: dict[str, Any], device: torch.device, cfg: TrainConfig
) -> dict:
    """Validation figures (see the module docstring)."""
    net = unwrap(model)
    was = net.training
    net.eval()
    out: dict[str, float] = {}
    canon = cfg.data.canonical_um_per_px
    ds = val["synth"]
    tp = npred = ntrue = 0
    err = []
    for i in range(len(ds)):
        image, seg, _ = ds.scene(i)
        hairs = decode(_maps(net, image, device), net.stride, VAL_THRESHOLD)
        h, w = image.shape[:2]
        truth = seg.roots[_inside(seg.roots, w, h)]
        pred = hairs.roots[_inside(hairs.roots, w, h)]
        tp += point_matches(pred, truth, VAL_MATCH_UM / canon)
        npred, ntrue = npred + len(pred), ntrue + len(truth)
        err.append(len(pred) - len(truth))
    out.update(synth_f1=_f1(tp, npred, ntrue), synth_count_mae=float(np.mean(np.abs(err))) if err else 0.0)
    f1s = [out["synth_f1"]]
    if "boxes" in val:
        bs = val["boxes"]
        tp = npred = ntrue = 0
        err = []
        for image, seg in zip(bs.images, bs.segments):
            hairs = decode(_maps(net, image, device), net.stride, VAL_THRESHOLD)
            h, w = image.shape[:2]
            pred = hairs.roots[_inside(hairs.roots, w, h)]
            boxes = np.concatenate([np.minimum(seg.roots, seg.tips), np.maximum(seg.roots, seg.tips)], axis=1)
            margin = VAL_BOX_MARGIN_PX * cfg.data.fdu_um_per_px / canon
            tp += box_matches(pred, boxes, margin)
            npred, ntrue = npred + len(pred), ntrue + len(boxes)
            err.append(len(pred) - len(boxes))
        out.update(
            box_f1=_f1(tp, npred, ntrue),
            box_count_mae=float(np.mean(np.abs(err))),
            box_count_bias=float(np.mean(err)),
        )
        f1s.append(out["box_f1"])
    out["f1"] = float(np.mean(f1s))
    net.train(was)
    return out


def _inside(pts: np.ndarray, w: int, h: int) -> np.ndarray:
    return (pts[:, 0] >= -0.5) & (pts[:, 0] < w - 0.5) & (pts[:, 1] >= -0.5) & (pts[:, 1] < h - 0.5)
