from __future__ import annotations

import torch

from trichometry.training.losses import box_mil_loss, diameter_loss, focal_heatmap_loss, shaft_loss


def test_box_mil_uses_the_best_pixel_of_each_box() -> None:
    logits = torch.full((1, 1, 4, 4), -10.0)
    mil = torch.zeros((1, 1, 4, 4), dtype=torch.long)
    mil[0, 0, 0, :2] = 1  # box 1: two candidate pixels, one of them confident
    mil[0, 0, 3, 3] = 2  # box 2: one candidate pixel at p = 0.5
    logits[0, 0, 0, 1] = 10.0
    logits[0, 0, 3, 3] = 0.0
    got = float(box_mil_loss(logits, mil))
    want = (-torch.nn.functional.logsigmoid(torch.tensor(10.0)) + torch.log(torch.tensor(2.0))) / 2
    assert abs(got - float(want)) < 1e-5
    assert float(box_mil_loss(logits, torch.zeros_like(mil))) == 0.0


def test_ignored_pixels_do_not_count() -> None:
    target = torch.zeros((1, 1, 8, 8))
    weight = torch.ones_like(target)
    wrong = torch.full_like(target, 5.0)  # confident shaft everywhere
    weight[..., :, 4:] = 0
    only_right = wrong.clone()
    only_right[..., :, :4] = -10.0  # correct where supervised, wrong where ignored
    assert float(shaft_loss(only_right, target, weight)) < 0.05 < float(shaft_loss(wrong, target, weight))
    heat = torch.zeros_like(target)
    assert float(focal_heatmap_loss(only_right, heat, weight)) < 1e-3


def test_focal_loss_rewards_a_peak_at_the_right_place() -> None:
    heat = torch.zeros((1, 1, 9, 9))
    heat[0, 0, 4, 4] = 1.0
    w = torch.ones_like(heat)
    good = torch.full_like(heat, -6.0)
    good[0, 0, 4, 4] = 6.0
    bad = torch.full_like(heat, -6.0)
    bad[0, 0, 1, 1] = 6.0
    assert float(focal_heatmap_loss(good, heat, w)) < 0.01 < float(focal_heatmap_loss(bad, heat, w))


def test_diameter_loss_only_on_known_pixels() -> None:
    target = torch.zeros((1, 1, 4, 4))
    target[0, 0, 1, 1] = 5.0
    pred = torch.full_like(target, 100.0)
    pred[0, 0, 1, 1] = 6.0
    assert abs(float(diameter_loss(pred, target)) - 1.0) < 1e-6


def test_weighted_bce_heatmap_prefers_the_gaussian_and_rejects_unknown_kind() -> None:
    import pytest

    from trichometry.errors import ConfigError
    from trichometry.training.config import LossConfig
    from trichometry.training.losses import total_loss, weighted_bce_heatmap_loss

    yy, xx = torch.meshgrid(torch.arange(9.0), torch.arange(9.0), indexing="ij")
    heat = torch.exp(-((xx - 4) ** 2 + (yy - 4) ** 2) / 8)[None, None]
    w = torch.ones_like(heat)
    exact = torch.logit(heat.clamp(1e-4, 1 - 1e-4))
    flat = torch.full_like(heat, -3.0)
    assert float(weighted_bce_heatmap_loss(exact, heat, w)) < float(weighted_bce_heatmap_loss(flat, heat, w))
    batch = {
        "shaft": torch.zeros_like(heat),
        "shaft_weight": w,
        "exit": heat,
        "exit_weight": w,
        "diameter": torch.zeros_like(heat),
        "mil": torch.zeros_like(heat, dtype=torch.long),
    }
    raw = torch.zeros(1, 3, 9, 9)
    with pytest.raises(ConfigError, match="weighted_bce"):
        total_loss(raw, batch, LossConfig(exit_kind="l2"), 10.0)
    loss, _ = total_loss(raw, batch, LossConfig(exit_kind="weighted_bce"), 10.0)
    assert torch.isfinite(loss)
