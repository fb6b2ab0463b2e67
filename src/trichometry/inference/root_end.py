"""Which end of a hair leaves the skin, read from the photo.

At 20-70x the shaft of a clipped hair runs for a short stretch under the translucent skin
before it leaves it: there it is fainter (greyer), while the cut tip ends sharp and dark.
:func:`end_cue` compares the two ends of each segment on that sign: the shaft's darkness
over the skin beside it, over the outer part of each end (:data:`END`), as a share of
the same contrast along the middle of the shaft; the fainter end is the root. A positive
cue means the segment's current root looks more like a root than its tip.

Chosen on root ends marked by eye on FDU tune photos (``benchmarks/labels/fdu_tune_roots.csv``,
246 hairs on 25 photos; never the val photos the yardstick reports on), the marked
diagonals read as segments (``python benchmarks/bench_root_end.py``): the fade alone put
the root at the right end for 79.7 % of them, 87.0 % once the stream settled the
disagreeing ones; reading the end over 4-20 % of the length instead of 2-12 % gave
78.5 / 84.6 %, over 5-30 % 78.9 / 83.3 %. A blue-minus-red sign beside the fade, tried
in an ad-hoc run that was not kept, lowered both (63.0 / 65.0 % at equal weight), so it
is not used.
"""

from __future__ import annotations

import cv2
import numpy as np

from trichometry.inference.segments import SegmentHairs, orient_with_stream

END = (0.02, 0.12)  # share of the segment, from an end, read as "that end"
MIDDLE = (0.35, 0.65)
MIN_LENGTH_PX = 12.0


def _sample(img: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Bilinear samples of a (H, W) float image at ``(..., 2)`` ``(x, y)`` points."""
    h, w = img.shape
    x = np.clip(pts[..., 0], 0, w - 1.001)
    y = np.clip(pts[..., 1], 0, h - 1.001)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    return (
        img[y0, x0] * (1 - fx) * (1 - fy)
        + img[y0, x0 + 1] * fx * (1 - fy)
        + img[y0 + 1, x0] * (1 - fx) * fy
        + img[y0 + 1, x0 + 1] * fx * fy
    )


def end_cue(
    image_rgb: np.ndarray, roots: np.ndarray, tips: np.ndarray, width_px: np.ndarray | float = 8.0
) -> np.ndarray:
    """``(N,)`` evidence that each segment's ``roots`` end is the root (positive) rather
    than its ``tips`` end (negative); 0 where a segment is too short to tell.

    Args:
        image_rgb: ``(H, W, 3)`` uint8, the image the segments are in.
        roots, tips: ``(N, 2)`` ``(x, y)`` ends.
        width_px: shaft width(s): the skin is read 1.5 widths beside the shaft.
    """
    r = np.asarray(roots, float).reshape(-1, 2)
    t = np.asarray(tips, float).reshape(-1, 2)
    if len(r) == 0:
        return np.zeros(0)
    img = np.asarray(image_rgb, np.float32)
    dark = cv2.GaussianBlur(255.0 - img.mean(axis=2), (0, 0), 1.0)
    d = t - r
    length = np.hypot(d[:, 0], d[:, 1])
    unit = d / np.maximum(length, 1e-6)[:, None]
    normal = np.stack([-unit[:, 1], unit[:, 0]], 1)
    off = 1.5 * np.broadcast_to(np.asarray(width_px, float), (len(r),)) + 2.0

    def contrast(lo: float, hi: float) -> np.ndarray:
        s = np.linspace(lo, hi, 8)
        line = r[:, None, :] + s[None, :, None] * d[:, None, :]
        side = off[:, None, None] * normal[:, None, :]
        skin = 0.5 * (_sample(dark, line + side) + _sample(dark, line - side))
        return (_sample(dark, line) - skin).mean(1)

    scale = np.maximum(np.abs(contrast(*MIDDLE)), 4.0)
    fade = (contrast(1 - END[1], 1 - END[0]) - contrast(*END)) / scale  # > 0: the root end is fainter
    return np.where(length >= MIN_LENGTH_PX, fade, 0.0)


def orient_by_cue(image_rgb: np.ndarray, hairs: SegmentHairs, stream: bool = True) -> SegmentHairs:
    """Turn each segment so its root is the end :func:`end_cue` prefers, then (``stream``)
    let the image's hair stream settle the hairs that disagree with most others."""
    if len(hairs) == 0:
        return hairs
    cue = end_cue(image_rgb, hairs.roots, hairs.tips, hairs.diameters_px)
    flip = cue < 0
    roots = np.where(flip[:, None], hairs.tips, hairs.roots)
    tips = np.where(flip[:, None], hairs.roots, hairs.tips)
    out = SegmentHairs(roots, tips, hairs.centres, hairs.scores, hairs.diameters_px)
    return orient_with_stream(out) if stream else out
