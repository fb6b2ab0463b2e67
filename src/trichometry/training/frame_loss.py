"""The frame network's loss: CenterNet's focal loss on the centre heatmap, L1 on the
box at centre cells, binary cross-entropy on the diagonal and (where known) the root."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def focal_centre_loss(
    logits: torch.Tensor, heat: torch.Tensor, alpha: float = 2.0, beta: float = 4.0
) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, summed and divided by the number of centres."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = heat.ge(1.0).float()
    neg = 1.0 - pos
    pos_loss = torch.log(p) * (1 - p) ** alpha * pos
    neg_loss = torch.log(1 - p) * p**alpha * (1 - heat) ** beta * neg
    n = pos.sum().clamp(min=1.0)
    return -(pos_loss.sum() + neg_loss.sum()) / n


def frame_loss(
    raw: torch.Tensor, batch: dict[str, torch.Tensor], weights: dict[str, float] | None = None
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts for raw network output ``(B, 7, Hc, Wc)``."""
    w = {"centre": 1.0, "offset": 1.0, "size": 0.5, "diagonal": 0.5, "root": 0.5, **(weights or {})}
    reg, mask = batch["reg"], batch["mask"]
    parts = {"centre": focal_centre_loss(raw[:, 0:1], batch["heat"])}
    m_box = mask[:, 0:1]
    n_box = m_box.sum().clamp(min=1.0)
    parts["offset"] = (F.l1_loss(raw[:, 1:3], reg[:, 0:2], reduction="none") * m_box).sum() / n_box
    parts["size"] = (F.l1_loss(raw[:, 3:5], reg[:, 2:4], reduction="none") * m_box).sum() / n_box
    for name, ch, mch in (("diagonal", 5, 1), ("root", 6, 2)):
        m = mask[:, mch : mch + 1]
        bce = F.binary_cross_entropy_with_logits(raw[:, ch : ch + 1], reg[:, ch - 1 : ch], reduction="none")
        parts[name] = (bce * m).sum() / m.sum().clamp(min=1.0)
    total = sum(w[k] * v for k, v in parts.items())
    return total, {k: float(v.detach()) for k, v in parts.items()}
