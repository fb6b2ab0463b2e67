from __future__ import annotations

import pytest
import torch

from trichometry.models import SEGMENT_HEADS, SegmentNet, create_model, model_kwargs
from trichometry.models.factory import SEGMENTS, arch_of
from trichometry.models.segnet import describe_segment_net

TINY = {"widths": (8, 8, 16, 16), "blocks": (1, 1, 1, 1), "decoder_channels": 8}


@pytest.mark.parametrize("h,w", [(64, 64), (96, 160)])
def test_output_is_six_channels_at_stride_four(h: int, w: int) -> None:
    net = SegmentNet(**TINY).eval()
    out = net(torch.rand(2, 3, h, w))
    assert out.shape == (2, len(SEGMENT_HEADS), h // 4, w // 4)


def test_activation_ranges_and_root_vector_scale() -> None:
    net = SegmentNet(**TINY, vector_scale=8.0)
    raw = torch.randn(1, 6, 4, 4) * 3
    act = net.activate(raw)
    assert ((act[:, 0] > 0) & (act[:, 0] < 1)).all()
    assert torch.allclose(act[:, 3:5], raw[:, 3:5] * 8.0)
    assert (act[:, 5] > 0).all()


def test_untrained_net_starts_with_few_centres() -> None:
    """The centre prior keeps an untrained net from firing everywhere (focal-loss init)."""
    net = SegmentNet(**TINY).eval()
    with torch.no_grad():
        p = net.activate(net(torch.rand(1, 3, 64, 64)))[:, 0]
    assert float(p.mean()) < 0.15


def test_variants_are_segment_architecture() -> None:
    assert arch_of("seg_s") == SEGMENTS and arch_of("tiny") != SEGMENTS
    net = create_model("seg_s")
    assert isinstance(net, SegmentNet)
    assert model_kwargs("seg_s")["widths"] == [32, 64, 128, 256]
    assert describe_segment_net(net)["parameters"] > 1_000_000


def test_wrong_stage_count_is_refused() -> None:
    with pytest.raises(ValueError, match="4 stages"):
        SegmentNet(widths=(8, 8, 16), blocks=(1, 1, 1))
