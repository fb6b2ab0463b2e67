"""Losses of the three heads, each only where its supervision is certain."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from trichometry.errors import ConfigError
from trichometry.training.config import LossConfig


def focal_heatmap_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Penalty-reduced pixel focal loss (CenterNet) on a Gaussian heatmap.

    Args:
        logits, target, weight: ``(B, 1, H, W)``; ``target`` is 1 at each peak pixel.

    Returns:
        Scalar: summed loss over weighted pixels / number of peaks (at least 1).
    """
    p = torch.sigmoid(logits.float()).clamp(1e-4, 1 - 1e-4)
    pos = (target >= 1.0).float()
    neg = 1.0 - pos
    pos_loss = -torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = -torch.log(1 - p) * p**2 * (1 - target) ** 4 * neg
    n = (pos * weight).sum().clamp_min(1.0)
    return ((pos_loss + neg_loss) * weight).sum() / n


def weighted_bce_heatmap_loss(
    logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, pos_weight: float = 50.0
) -> torch.Tensor:
    """BCE against the soft Gaussian target, up-weighted near peaks (``1 + pos_weight * target``).

    Every pixel of each Gaussian gives gradient (not only the peak pixel, as in the focal
    loss), so peaks appear after far fewer steps; the per-pixel optimum is still
    ``p = target``, so the heatmap stays calibrated (1 at the exit point).

    Returns:
        Scalar: weighted sum / (number of peaks, at least 1) / 100 (about the focal scale).
    """
    bce = F.binary_cross_entropy_with_logits(logits.float(), target, reduction="none")
    w = weight * (1.0 + pos_weight * target)
    n = ((target >= 1.0).float() * weight).sum().clamp_min(1.0)
    return (bce * w).sum() / n / 100.0


def shaft_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weighted BCE plus soft Dice over certain pixels (``(B, 1, H, W)`` each)."""
    logits = logits.float()
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    bce = (bce * weight).sum() / weight.sum().clamp_min(1.0)
    p = torch.sigmoid(logits) * weight
    t = target * weight
    inter = (p * t).sum()
    dice = 1.0 - (2 * inter + 1.0) / (p.sum() + t.sum() + 1.0)
    return bce + dice


def diameter_loss(pred_px: torch.Tensor, target_px: torch.Tensor) -> torch.Tensor:
    """Mean L1 (canonical px) over pixels with a known diameter (``target_px > 0``)."""
    m = (target_px > 0).float()
    return (torch.abs(pred_px.float() - target_px) * m).sum() / m.sum().clamp_min(1.0)


def box_mil_loss(logits: torch.Tensor, mil: torch.Tensor) -> torch.Tensor:
    """Each weak box needs one exit peak in its corner squares: ``-log max p`` per box.

    Args:
        logits: ``(B, 1, H, W)`` exit logits; ``mil``: ``(B, 1, H, W)`` int64 box ids (0 = none).

    Returns:
        Mean over boxes present in the batch (0 when there are none).
    """
    if not bool((mil > 0).any()):
        return logits.sum() * 0.0
    b = logits.shape[0]
    logp = F.logsigmoid(logits.float()).reshape(b, -1)
    ids = mil.reshape(b, -1)
    k = int(ids.max()) + 1
    best = torch.full((b, k), -1e4, dtype=logp.dtype, device=logp.device)
    best = best.scatter_reduce(1, ids, logp, reduce="amax", include_self=True)
    present = torch.zeros((b, k), dtype=torch.bool, device=logp.device)
    present.scatter_(1, ids, True)
    present[:, 0] = False
    return -(best[present]).mean()


def total_loss(
    raw: torch.Tensor, batch: dict[str, torch.Tensor], cfg: LossConfig, diameter_scale: float
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of the head losses; returns ``(loss, {part: value})``."""
    shaft = shaft_loss(raw[:, 0:1], batch["shaft"], batch["shaft_weight"])
    if cfg.exit_kind == "focal":
        exit_ = focal_heatmap_loss(raw[:, 1:2], batch["exit"], batch["exit_weight"])
    elif cfg.exit_kind == "weighted_bce":
        exit_ = weighted_bce_heatmap_loss(
            raw[:, 1:2], batch["exit"], batch["exit_weight"], cfg.exit_pos_weight
        )
    else:
        raise ConfigError(f"unknown loss.exit_kind {cfg.exit_kind!r}; use focal or weighted_bce.")
    diam = diameter_loss(F.softplus(raw[:, 2:3].float()) * diameter_scale, batch["diameter"])
    mil = box_mil_loss(raw[:, 1:2], batch["mil"])
    loss = cfg.shaft * shaft + cfg.exit * exit_ + cfg.diameter * diam + cfg.box_mil * mil
    parts = {
        k: float(v.detach()) for k, v in (("shaft", shaft), ("exit", exit_), ("diameter", diam), ("mil", mil))
    }
    return loss, parts
