from __future__ import annotations

import numpy as np
import pytest
import torch

from trichometry.errors import ConfigError
from trichometry.training.config import LossConfig
from trichometry.training.seg_loss import segment_loss
from trichometry.training.seg_targets import Segments, TargetSpec, render_targets


def _batch(sign_known: bool) -> dict[str, torch.Tensor]:
    seg = Segments.straight([[10.0, 50.0]], [[50.0, 10.0]], diameters=[6.0], sign_known=sign_known)
    t = render_targets(seg, 64, 64, TargetSpec())
    b = {k: torch.from_numpy(v)[None] for k, v in t.items()}
    b["valid"] = torch.ones(1, 1, 16, 16)
    return b


def _perfect(b: dict[str, torch.Tensor], flip: bool = False) -> torch.Tensor:
    raw = torch.zeros(1, 6, 16, 16)
    heat = b["heat"][0, 0].clamp(1e-4, 1 - 1e-4)
    raw[0, 0] = torch.log(heat) - torch.log1p(-heat)
    raw[0, 1:3] = b["reg"][0, 0:2]
    raw[0, 3:5] = b["reg"][0, 2:4] / 8.0 * (-1 if flip else 1)
    raw[0, 5] = b["reg"][0, 4]
    return raw


@pytest.mark.parametrize("kind", ["weighted_bce", "focal"])
def test_perfect_maps_score_better_than_empty_ones(kind: str) -> None:
    b = _batch(True)
    cfg = LossConfig(centre_kind=kind)
    good, parts = segment_loss(_perfect(b), b, cfg, 8.0)
    bad, _ = segment_loss(torch.zeros(1, 6, 16, 16), b, cfg, 8.0)
    assert float(good) < float(bad)
    assert parts["loss_offset"] < 1e-6 and parts["loss_vector"] < 1e-6 and parts["loss_diameter"] < 1e-6


def test_either_end_is_right_where_the_root_is_unknown() -> None:
    cfg = LossConfig()
    unknown = _batch(False)
    assert segment_loss(_perfect(unknown, flip=True), unknown, cfg, 8.0)[1]["loss_vector"] < 1e-6
    known = _batch(True)
    assert segment_loss(_perfect(known, flip=True), known, cfg, 8.0)[1]["loss_vector"] == pytest.approx(
        float(np.abs(known["reg"][0, 2:4, 7, 7].numpy() / 8.0).sum() * 2), rel=1e-5
    )


def test_unknown_centre_loss_is_a_config_error() -> None:
    b = _batch(True)
    with pytest.raises(ConfigError, match="centre_kind"):
        segment_loss(torch.zeros(1, 6, 16, 16), b, LossConfig(centre_kind="dice"), 8.0)
