"""Losses of the segment network (:mod:`trichometry.models.segnet`).

* centre heatmap: BCE against the Gaussian target weighted up near each centre
  (``centre_kind="weighted_bce"``, the default: every cell of a Gaussian pulls, so peaks
  appear within a few hundred CPU steps; the focal loss, ``"focal"``, pulls only at the
  centre cell and left the heatmap under 0.2 after 1,000 steps), over valid cells, per hair;
* sub-cell offset and root vector: L1 at each hair's centre cell. Where the root end is
  unknown (a real box gives the shaft's two ends, not which is the root) the vector loss
  takes the nearer of the two ends, so either answer is right;
* log diameter: L1 where the diameter is known (generated hairs).

Every term is divided by the number of hairs in the batch (at least 1).
"""

from __future__ import annotations

import torch

from trichometry.errors import ConfigError
from trichometry.training.config import LossConfig
from trichometry.training.losses import focal_heatmap_loss, weighted_bce_heatmap_loss

CENTRE_KINDS = ("weighted_bce", "focal")


def segment_loss(
    raw: torch.Tensor, batch: dict[str, torch.Tensor], cfg: LossConfig, vector_scale: float
) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of the four terms and each term's value.

    Args:
        raw: ``(B, 6, Hc, Wc)`` network output (before :meth:`SegmentNet.activate`).
        batch: targets from :func:`trichometry.training.seg_targets.render_targets` plus
            ``valid`` ``(B, 1, Hc, Wc)``.
        cfg: the weights (``centre``, ``offset``, ``root_vector``, ``log_diameter``).
        vector_scale: the network's root-vector scale.
    """
    raw = raw.float()
    valid = batch["valid"]
    if cfg.centre_kind == "focal":
        centre = focal_heatmap_loss(raw[:, 0:1], batch["heat"], valid)
    elif cfg.centre_kind == "weighted_bce":
        centre = weighted_bce_heatmap_loss(raw[:, 0:1], batch["heat"], valid, cfg.centre_pos_weight)
    else:
        raise ConfigError(f"loss.centre_kind={cfg.centre_kind!r}; use one of {', '.join(CENTRE_KINDS)}.")
    mask = batch["reg_mask"]
    n = mask.sum().clamp_min(1.0)
    offset = ((raw[:, 1:3] - batch["reg"][:, 0:2]).abs() * mask).sum() / n
    v_pred = raw[:, 3:5]
    v_true = batch["reg"][:, 2:4] / vector_scale
    same = (v_pred - v_true).abs().sum(dim=1, keepdim=True)
    flipped = (v_pred + v_true).abs().sum(dim=1, keepdim=True)
    known = batch["sign_mask"]
    vec = torch.where(known > 0, same, torch.minimum(same, flipped))
    vector = (vec * mask).sum() / n
    dmask = batch["diam_mask"]
    diam = ((raw[:, 5:6] - batch["reg"][:, 4:5]).abs() * dmask).sum() / dmask.sum().clamp_min(1.0)
    total = cfg.centre * centre + cfg.offset * offset + cfg.root_vector * vector + cfg.log_diameter * diam
    parts = {
        "loss_centre": float(centre.detach()),
        "loss_offset": float(offset.detach()),
        "loss_vector": float(vector.detach()),
        "loss_diameter": float(diam.detach()),
    }
    return total, parts
