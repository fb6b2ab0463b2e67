"""Find exit points (hair roots) as sub-pixel peaks of an exit-point heatmap.

Shared by the model predictor and by measurement: both turn
:attr:`trichometry.inference.prediction.Prediction.exit_prob` into one ``(x, y)`` point per
hair with :func:`find_exit_points`.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from trichometry.errors import ConfigError

logger = logging.getLogger(__name__)

_EIGHT = np.ones((3, 3), dtype=bool)


def _spilled(prob: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: candidate pixels whose equal-valued plateau runs on past the candidates.

    A candidate is a pixel not lower than any 8-neighbour. Two touching candidates are
    equal, so a connected set of candidates is one flat region. If an equal-valued
    neighbour lies outside the candidates, that neighbour has a higher pixel beside it:
    the plateau is a shoulder, not a maximum, and the whole region must be dropped.
    """
    h, w = prob.shape
    bad = np.zeros_like(cand)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == 0 and dx == 0:
                continue
            # pixel p (in the candidate window) and its neighbour q = p + (dy, dx)
            ps = (slice(max(-dy, 0), h - max(dy, 0)), slice(max(-dx, 0), w - max(dx, 0)))
            qs = (slice(max(dy, 0), h - max(-dy, 0)), slice(max(dx, 0), w - max(-dx, 0)))
            bad[ps] |= cand[ps] & ~cand[qs] & (prob[qs] == prob[ps])
    return bad


def _parabola_offset(lo: float, mid: float, hi: float) -> float:
    """Sub-pixel offset of a peak from three samples (log-parabola: exact for a Gaussian)."""
    eps = 1e-12
    a, b, c = np.log(max(lo, eps)), np.log(max(mid, eps)), np.log(max(hi, eps))
    denom = a - 2.0 * b + c
    if denom >= -1e-12:  # flat or not a maximum along this axis
        return 0.0
    return float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))


def find_exit_points(
    exit_prob: np.ndarray,
    threshold: float = 0.3,
    min_distance_px: float = 3.0,
) -> np.ndarray:
    """Local maxima of an exit-point heatmap, one ``(x, y)`` per hair, sub-pixel refined.

    A peak is a pixel (or a flat plateau of equal pixels) not lower than any of its
    8 neighbours, with value ``>= threshold``. Peaks closer than ``min_distance_px`` to a
    stronger peak are dropped (greedy non-maximum suppression, strongest first). Single
    pixel peaks are refined with a log-parabola through the neighbours along x and y
    (exact for a Gaussian blob, at most half a pixel); a plateau gives its centroid.
    Peaks on the image border are kept (missing neighbours count as lower).

    Args:
        exit_prob: ``(H, W)`` heatmap, values in ``[0, 1]`` (NaN counts as 0).
        threshold: minimal peak value, in ``(0, 1]``.
        min_distance_px: minimal distance between two reported peaks, in pixels (``>= 0``).

    Returns:
        ``(N, 2)`` float64 array of ``(x, y)`` pixel coordinates (x right, y down,
        pixel centres at integers), strongest peak first.

    Raises:
        ConfigError: ``exit_prob`` is not 2-D, or a parameter is out of range.

    Example:
        >>> heat = np.zeros((9, 9)); heat[4, 6] = 1.0
        >>> find_exit_points(heat).tolist()
        [[6.0, 4.0]]
    """
    if not float(min_distance_px) >= 0.0:
        raise ConfigError(f"min_distance_px must be >= 0, got {min_distance_px}; a typical value is 3.")
    pts, _ = peak_values(exit_prob, threshold)
    pts = suppress(pts, min_distance_px)
    logger.debug("found %d exit points (threshold %.2f)", len(pts), threshold)
    return pts


def peak_values(exit_prob: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Every peak of :func:`find_exit_points` before suppression, and its value.

    The peaks at a higher threshold are exactly those of these with a value at or above
    it, in the same order, so a sweep over thresholds (calibration) finds them once.

    Returns:
        ``(N, 2)`` float64 ``(x, y)`` and ``(N,)`` peak values, strongest first (ties in
        raster order of the peaks).
    """
    prob = np.asarray(exit_prob)
    if prob.ndim != 2:
        raise ConfigError(
            f"exit_prob must be a 2-D (H, W) heatmap, got shape {prob.shape}; pass one map per image."
        )
    if not 0.0 < float(threshold) <= 1.0:
        raise ConfigError(f"threshold must lie in (0, 1], got {threshold}; a typical value is 0.3.")
    prob = np.nan_to_num(prob.astype(np.float64, copy=False), nan=0.0)
    if prob.size == 0:
        return np.zeros((0, 2), dtype=np.float64), np.zeros(0)

    maxf = ndimage.maximum_filter(prob, size=3, mode="constant", cval=-np.inf)
    cand = (prob >= maxf) & (prob >= threshold)
    labels, n = ndimage.label(cand, structure=_EIGHT)
    if n == 0:
        return np.zeros((0, 2), dtype=np.float64), np.zeros(0)

    h, w = prob.shape
    bad = _spilled(prob, cand)
    points: list[tuple[float, float]] = []
    scores: list[float] = []
    for idx, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        comp = labels[sl] == idx
        if bad[sl][comp].any():  # a shoulder of a higher plateau
            continue
        ys, xs = np.nonzero(comp)
        ys, xs = ys + sl[0].start, xs + sl[1].start
        value = float(prob[ys[0], xs[0]])
        if len(ys) == 1:
            y, x = int(ys[0]), int(xs[0])
            left = prob[y, x - 1] if x > 0 else 0.0
            right = prob[y, x + 1] if x < w - 1 else 0.0
            up = prob[y - 1, x] if y > 0 else 0.0
            down = prob[y + 1, x] if y < h - 1 else 0.0
            points.append((x + _parabola_offset(left, value, right), y + _parabola_offset(up, value, down)))
        else:
            points.append((float(xs.mean()), float(ys.mean())))
        scores.append(value)

    if not points:
        return np.zeros((0, 2), dtype=np.float64), np.zeros(0)
    order = np.argsort(-np.asarray(scores), kind="stable")
    return np.asarray(points, dtype=np.float64)[order], np.asarray(scores, dtype=np.float64)[order]


def suppress(points: np.ndarray, min_distance_px: float) -> np.ndarray:
    """Greedy non-maximum suppression: drop each point closer than ``min_distance_px`` to
    a kept point listed before it (``points`` strongest first)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if min_distance_px > 0 and len(pts) > 1:
        tree = cKDTree(pts)
        keep = np.ones(len(pts), dtype=bool)
        for i in range(len(pts)):
            if not keep[i]:
                continue
            for j in tree.query_ball_point(pts[i], r=float(min_distance_px) - 1e-9):
                if j > i:
                    keep[j] = False
        pts = pts[keep]
    return pts
