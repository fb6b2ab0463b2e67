"""The photo's root-end cue on a hand-made shaft: faded at the root, sharp at the tip."""

from __future__ import annotations

import cv2
import numpy as np

from trichometry.inference.root_end import end_cue, orient_by_cue
from trichometry.inference.segments import SegmentHairs


def _shaft(root: tuple[int, int], tip: tuple[int, int], img: np.ndarray) -> None:
    """A dark shaft that fades in over its first quarter (under the skin, greyer-bluer)."""
    n = 60
    for i in range(n):
        a = i / n
        p = (round(root[0] + (tip[0] - root[0]) * a), round(root[1] + (tip[1] - root[1]) * a))
        fade = min(1.0, a / 0.25)
        colour = (int(200 - 150 * fade), int(190 - 140 * fade), int(215 - 150 * fade))  # RGB
        cv2.circle(img, p, 3, colour, -1)


def _image() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    img = np.full((200, 260, 3), (200, 190, 185), np.uint8)
    roots = np.array([[30.0, 40.0], [220.0, 170.0], [120.0, 20.0]])
    tips = np.array([[110.0, 120.0], [150.0, 60.0], [125.0, 150.0]])
    for r, t in zip(roots, tips):
        _shaft(tuple(int(v) for v in r), tuple(int(v) for v in t), img)
    return img, roots, tips


def test_the_faded_end_is_the_root() -> None:
    img, roots, tips = _image()
    assert (end_cue(img, roots, tips, 7.0) > 0).all()
    assert (end_cue(img, tips, roots, 7.0) < 0).all()
    assert end_cue(img, roots[:1], roots[:1] + 5, 7.0)[0] == 0.0  # too short to tell


def test_orienting_turns_reversed_segments_round() -> None:
    img, roots, tips = _image()
    n = len(roots)
    hairs = SegmentHairs(tips.copy(), roots.copy(), (roots + tips) / 2, np.ones(n), np.full(n, 7.0))
    out = orient_by_cue(img, hairs, stream=False)
    np.testing.assert_allclose(out.roots, roots)
    np.testing.assert_allclose(out.tips, tips)
    assert len(orient_by_cue(img, SegmentHairs.empty())) == 0
