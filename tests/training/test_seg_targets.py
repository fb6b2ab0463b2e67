"""Segment targets: a box becomes a segment, a segment becomes grid targets, and back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from trichometry.inference.segments import SegmentHairs, decode, orient_with_stream
from trichometry.training.seg_items import Geometry, augment, box_segments
from trichometry.training.seg_targets import Segments, TargetSpec, render_targets

SPEC = TargetSpec(stride=4)


def _maps_from_targets(t: dict[str, np.ndarray]) -> np.ndarray:
    """The activated grid a perfect network would give: what decode reads."""
    maps = np.zeros((6, *t["heat"].shape[1:]), np.float32)
    maps[0] = t["heat"][0]
    maps[1:5] = t["reg"][0:4]
    maps[5] = np.exp(t["reg"][4]) * t["diam_mask"][0]
    return maps


@pytest.mark.parametrize("diagonal", ["main", "anti"])
def test_box_becomes_the_diagonal_its_shaft_follows(diagonal: str) -> None:
    img = np.full((120, 160, 3), 200, np.uint8)
    x0, y0, x1, y1 = 40, 30, 110, 90
    a, b = ((x0, y0), (x1, y1)) if diagonal == "main" else ((x0, y1), (x1, y0))
    cv2.line(img, a, b, (40, 40, 40), 5)
    seg = box_segments(img, np.array([[x0, y0, x1, y1]], float))
    ends = {tuple(seg.roots[0]), tuple(seg.tips[0])}
    assert ends == {tuple(map(float, a)), tuple(map(float, b))}
    assert not seg.sign_known[0] and np.isnan(seg.diameters[0])
    np.testing.assert_allclose(seg.centres[0], [(x0 + x1) / 2, (y0 + y1) / 2])


def test_a_known_segment_rasterises_to_one_peak_with_its_vector() -> None:
    seg = Segments.straight([[10.0, 50.0]], [[50.0, 10.0]], diameters=[6.0], sign_known=True)
    t = render_targets(seg, 64, 64, SPEC)
    assert t["heat"].shape == (1, 16, 16)
    # centre (30, 30) px -> cell (30.5 / 4) = 7.625 -> cell 7, offset 0.625
    iy, ix = np.unravel_index(np.argmax(t["heat"][0]), (16, 16))
    assert (iy, ix) == (7, 7) and t["heat"][0, 7, 7] == 1.0
    assert t["reg_mask"].sum() == 1 and t["sign_mask"][0, 7, 7] == 1 and t["diam_mask"][0, 7, 7] == 1
    np.testing.assert_allclose(t["reg"][:, 7, 7], [0.625, 0.625, -5.0, 5.0, np.log(6.0)], rtol=1e-6)
    assert (t["heat"][0] < 1).sum() == 16 * 16 - 1  # one positive per hair


def test_centres_outside_the_crop_give_no_target() -> None:
    seg = Segments.straight([[-40.0, 5.0]], [[-10.0, 5.0]])
    t = render_targets(seg, 32, 32, SPEC)
    assert t["heat"].max() == 0 and t["reg_mask"].sum() == 0


def test_decoding_a_rasterised_map_gives_back_the_segments() -> None:
    roots = np.array([[20.0, 100.0], [70.0, 100.0], [120.0, 30.0]])
    tips = np.array([[40.0, 40.0], [110.0, 60.0], [150.0, 90.0]])
    seg = Segments.straight(roots, tips, diameters=[4.0, 7.0, 9.0], sign_known=True)
    hairs = decode(_maps_from_targets(render_targets(seg, 128, 160, SPEC)), SPEC.stride, 0.5)
    assert len(hairs) == 3
    order = np.argsort(hairs.centres[:, 0])
    np.testing.assert_allclose(hairs.roots[order], roots, atol=1e-4)
    np.testing.assert_allclose(hairs.tips[order], tips, atol=1e-4)
    np.testing.assert_allclose(hairs.diameters_px[order], [4.0, 7.0, 9.0], rtol=1e-5)


def test_decode_threshold_and_empty_map() -> None:
    maps = np.zeros((6, 8, 8), np.float32)
    assert len(decode(maps, 4, 0.3)) == 0
    maps[0, 3, 3] = 0.2
    assert len(decode(maps, 4, 0.3)) == 0 and len(decode(maps, 4, 0.1)) == 1


def test_stream_turns_round_the_odd_segment() -> None:
    roots = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [0.0, 20.0], [20.0, 20.0], [40.0, 10.0]])
    tips = roots + np.array([[10.0, 0.0], [10.0, 1.0], [10.0, -1.0], [10.0, 2.0], [10.0, 0.0], [-10.0, 0.0]])
    h = SegmentHairs(roots, tips, (roots + tips) / 2, np.ones(6), np.ones(6))
    o = orient_with_stream(h)  # the last points against the other five: its ends swap
    np.testing.assert_allclose(o.roots[5], [30.0, 10.0])
    np.testing.assert_allclose(o.tips[5], [40.0, 10.0])
    np.testing.assert_allclose(o.roots[:5], roots[:5])


def test_stream_leaves_disagreeing_hairs_alone() -> None:
    roots = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    tips = np.array([[10.0, 0.0], [-10.0, 0.0], [0.0, 10.0], [0.0, -10.0]])
    h = SegmentHairs(roots, tips, (roots + tips) / 2, np.ones(4), np.ones(4))
    np.testing.assert_array_equal(orient_with_stream(h).roots, roots)


def test_augment_moves_segments_with_the_image() -> None:
    img = np.full((200, 300, 3), 200, np.uint8)
    cv2.line(img, (100, 50), (180, 130), (30, 30, 30), 3)
    seg = Segments.straight([[100.0, 50.0]], [[180.0, 130.0]], sign_known=True)
    rng = np.random.default_rng(3)
    for _ in range(8):
        out, valid, s = augment(img, seg, Geometry(crop_px=256, scale_jitter=0.0, flips=True), rng)
        assert out.shape == (256, 256, 3) and valid.shape == (256, 256)
        for p in (s.roots[0], s.tips[0]):  # the segment's ends still lie on the dark line
            x, y = np.round(p).astype(int)
            if 0 <= x < 256 and 0 <= y < 256:
                assert out[y, x].mean() < 100


def test_a_wider_peak_window_merges_a_flat_ridge() -> None:
    maps = np.zeros((6, 12, 12), np.float32)
    maps[0, 5, 3], maps[0, 5, 5], maps[0, 5, 4] = 0.6, 0.55, 0.2  # two maxima on one ridge
    assert len(decode(maps, 4, 0.3, window=3)) == 2
    merged = decode(maps, 4, 0.3, window=7)
    assert len(merged) == 1 and merged.scores[0] == pytest.approx(0.6)
