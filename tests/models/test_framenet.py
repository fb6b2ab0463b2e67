"""Detector v3's network, targets and decoding: a known box comes back as its segment."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trichometry.inference.frames import decode_frame
from trichometry.models import FRAME_HEADS, create_model
from trichometry.training.frame_loss import frame_loss
from trichometry.training.frame_targets import STRIDE, parts_to_segment, render_targets, segment_parts

# root -> tip, one of each diagonal, both root ends, and a vertical shaft
P = np.array([[40.0, 30.0], [100.0, 260.0], [300.0, 100.0], [250.0, 300.0]])
Q = np.array([[90.0, 80.0], [60.0, 200.0], [300.0, 160.0], [330.0, 250.0]])


def _grid_from_targets(t) -> np.ndarray:
    """The activated grid a perfect network would give for these targets."""
    maps = np.zeros((len(FRAME_HEADS), *t.heat.shape), np.float32)
    maps[0], maps[1:3], maps[3:5], maps[5:7] = t.heat, t.reg[0:2], np.exp(t.reg[2:4]), t.reg[4:6]
    return maps


def test_targets_decode_back_to_the_same_segments() -> None:
    t = render_targets(P, Q, np.ones(len(P), bool), (352, 448))
    assert int((t.heat == 1.0).sum()) == len(P) and t.mask[0].sum() == len(P)
    hairs = decode_frame(_grid_from_targets(t), threshold=0.5)
    assert len(hairs) == len(P)
    order = [int(np.argmin(np.hypot(*(hairs.centres - (p + q) / 2).T))) for p, q in zip(P, Q)]
    # the vertical shaft's zero width is stored as 1 px (log 0): its ends move by half a pixel
    np.testing.assert_allclose(hairs.roots[order], P, atol=0.51)
    np.testing.assert_allclose(hairs.tips[order], Q, atol=0.51)


def test_the_root_rule_by_hand() -> None:
    # "/" diagonal (one end up-right of the other), root at the lower-left end
    centre, size, slash, left = segment_parts(np.array([[10.0, 50.0]]), np.array([[30.0, 10.0]]))
    assert slash[0] == 1.0 and left[0] == 1.0
    np.testing.assert_allclose(centre, [[20.0, 30.0]])
    np.testing.assert_allclose(size, [[20.0, 40.0]])
    root, tip = parts_to_segment(centre, size, slash, left)
    np.testing.assert_allclose(root, [[10.0, 50.0]])
    np.testing.assert_allclose(tip, [[30.0, 10.0]])
    # the same shaft with its root at the other end: only the root bit changes
    _, _, slash2, left2 = segment_parts(np.array([[30.0, 10.0]]), np.array([[10.0, 50.0]]))
    assert slash2[0] == 1.0 and left2[0] == 0.0
    # a vertical shaft: "left" means the upper end
    _, _, _, up = segment_parts(np.array([[5.0, 0.0]]), np.array([[5.0, 9.0]]))
    assert up[0] == 1.0


def test_unknown_roots_are_not_supervised_and_thin_boxes_have_no_diagonal() -> None:
    p, q = np.array([[20.0, 20.0], [60.0, 20.0]]), np.array([[40.0, 50.0], [60.5, 60.0]])
    t = render_targets(p, q, np.array([False, True]), (96, 96))
    rows = [(int((c[1] + 0.5) // STRIDE), int((c[0] + 0.5) // STRIDE)) for c in (p + q) / 2]
    assert [t.mask[2][r] for r in rows] == [0.0, 1.0]  # root known only for the second
    assert [t.mask[1][r] for r in rows] == [1.0, 0.0]  # a 0.5 px wide box: no diagonal to learn


def test_a_centre_outside_the_view_is_left_out() -> None:
    t = render_targets(np.array([[-30.0, 10.0]]), np.array([[-10.0, 20.0]]), np.ones(1, bool), (64, 64))
    assert t.heat.max() == 0.0 and t.mask.sum() == 0.0


def test_network_shapes_and_loss_falls_on_one_batch() -> None:
    torch.manual_seed(0)
    net = create_model("frame_s", widths=[8, 8, 16, 16], blocks=[1, 1, 1, 1], decoder_channels=8)
    x = torch.rand(2, 3, 64, 96)
    assert net(x).shape == (2, len(FRAME_HEADS), 16, 24)
    t = render_targets(np.array([[20.0, 20.0]]), np.array([[60.0, 40.0]]), np.ones(1, bool), (64, 96))
    batch = {k: torch.from_numpy(np.stack([v, v])) for k, v in
             (("heat", t.heat[None]), ("reg", t.reg), ("mask", t.mask))}  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss, parts = frame_loss(net(x), batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert set(parts) == {"centre", "offset", "size", "diagonal", "root"}
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("window", [3, 5])
def test_peaks_are_local_maxima_above_the_threshold(window: int) -> None:
    maps = np.zeros((len(FRAME_HEADS), 12, 12), np.float32)
    maps[3:5] = 8.0
    maps[0, 3, 3], maps[0, 3, 5], maps[0, 9, 9] = 0.9, 0.6, 0.2
    hairs = decode_frame(maps, threshold=0.3, window=window)
    assert len(hairs) == (2 if window == 3 else 1) and hairs.scores[0] == pytest.approx(0.9)
