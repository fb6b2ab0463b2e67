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


def _plateau_ok(prob: np.ndarray, maxf: np.ndarray, comp: np.ndarray, value: float) -> bool:
    """Whether a flat candidate region is a true maximum (no higher pixel touches its plateau)."""
    same = prob == value
    ring = ndimage.binary_dilation(comp, structure=_EIGHT) & ~comp & same
    if not ring.any():
        return True
    # The plateau continues past the candidate pixels: it is a maximum only if no pixel of
    # the whole equal-valued plateau has a higher neighbour.
    labels, _ = ndimage.label(same, structure=_EIGHT)
    ids = np.unique(labels[comp])
    plateau = np.isin(labels, ids)
    return bool(maxf[plateau].max() <= value)


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
    prob = np.asarray(exit_prob)
    if prob.ndim != 2:
        raise ConfigError(
            f"exit_prob must be a 2-D (H, W) heatmap, got shape {prob.shape}; pass one map per image."
        )
    if not 0.0 < float(threshold) <= 1.0:
        raise ConfigError(f"threshold must lie in (0, 1], got {threshold}; a typical value is 0.3.")
    if not float(min_distance_px) >= 0.0:
        raise ConfigError(f"min_distance_px must be >= 0, got {min_distance_px}; a typical value is 3.")
    prob = np.nan_to_num(prob.astype(np.float64, copy=False), nan=0.0)
    if prob.size == 0:
        return np.zeros((0, 2), dtype=np.float64)

    maxf = ndimage.maximum_filter(prob, size=3, mode="constant", cval=-np.inf)
    cand = (prob >= maxf) & (prob >= threshold)
    labels, n = ndimage.label(cand, structure=_EIGHT)
    if n == 0:
        return np.zeros((0, 2), dtype=np.float64)

    h, w = prob.shape
    points: list[tuple[float, float]] = []
    scores: list[float] = []
    for idx, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        # Work in a one-pixel padded window around the component.
        y0, y1 = max(sl[0].start - 1, 0), min(sl[0].stop + 1, h)
        x0, x1 = max(sl[1].start - 1, 0), min(sl[1].stop + 1, w)
        comp_local = labels[y0:y1, x0:x1] == idx
        ys, xs = np.nonzero(comp_local)
        value = float(prob[y0 + ys[0], x0 + xs[0]])
        if len(ys) == 1:
            y, x = y0 + int(ys[0]), x0 + int(xs[0])
            left = prob[y, x - 1] if x > 0 else 0.0
            right = prob[y, x + 1] if x < w - 1 else 0.0
            up = prob[y - 1, x] if y > 0 else 0.0
            down = prob[y + 1, x] if y < h - 1 else 0.0
            window = prob[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2]
            if int((window == value).sum()) > 1:  # touches an equal pixel: maybe a shoulder
                comp = labels == idx
                if not _plateau_ok(prob, maxf, comp, value):
                    continue
            points.append((x + _parabola_offset(left, value, right), y + _parabola_offset(up, value, down)))
        else:
            comp = labels == idx
            if not _plateau_ok(prob, maxf, comp, value):
                continue
            points.append((float(x0 + xs.mean()), float(y0 + ys.mean())))
        scores.append(value)

    if not points:
        return np.zeros((0, 2), dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64)
    order = np.argsort(-np.asarray(scores), kind="stable")
    pts = pts[order]
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
    logger.debug("found %d exit points (threshold %.2f)", len(pts), threshold)
    return pts
