"""Exit points (one per hair) from the exit heatmap, via the shared peak finder.

:func:`locate_hairs` is the counting step of the measurement engine: exit peaks, those
inside the analysed area, each traced along the shaft map, far ends of other hairs
dropped. Calibration counts with it too, so a calibrated threshold means the same
count that ``trichometry analyze`` reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from trichometry.errors import ConfigError
from trichometry.inference.peaks import find_exit_points, suppress
from trichometry.measure.ends import far_ends
from trichometry.measure.trace import Trace, sample, trace_hairs


def find_exits(
    exit_prob: np.ndarray,
    threshold: float,
    min_distance_px: float,
    peaks: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exit points and their heatmap values.

    Args:
        peaks: :func:`~trichometry.inference.peaks.peak_values` of this map at a threshold
            at or below ``threshold``, found once for a sweep; ``None`` finds them here.

    Returns:
        ``(N, 2)`` float ``(x, y)`` strongest first, and ``(N,)`` peak values.
    """
    prob = np.nan_to_num(np.asarray(exit_prob, dtype=np.float32))
    if peaks is None:
        pts = find_exit_points(prob, threshold=threshold, min_distance_px=min_distance_px)
    else:
        pts = suppress(peaks[0][peaks[1] >= threshold], min_distance_px)
    vals = sample(prob, pts[:, 0], pts[:, 1]) if len(pts) else np.zeros(0)
    return np.asarray(pts, dtype=float).reshape(-1, 2), np.asarray(vals, dtype=float)


def find_candidates(
    exit_prob: np.ndarray, exits: np.ndarray, threshold: float, ratio: float, min_distance_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-threshold exit peaks: "maybe a hair", kept for cross-visit rescue, never counted.

    A candidate is a peak with value in ``[ratio * threshold, threshold)`` that is not within
    ``min_distance_px`` of one of ``exits`` (the peaks found at ``threshold``).

    Args:
        exit_prob: ``(H, W)`` exit heatmap.
        exits: ``(N, 2)`` exit points already found at ``threshold``.
        threshold: the counting threshold.
        ratio: in ``[0, 1]``; ``0`` or ``1`` gives no candidates.
        min_distance_px: closer peaks are one exit.

    Returns:
        ``(C, 2)`` float ``(x, y)`` strongest first, and ``(C,)`` peak values.

    Raises:
        ConfigError: ``ratio`` outside ``[0, 1]``.
    """
    if not 0.0 <= ratio <= 1.0:
        raise ConfigError(
            f"candidate_ratio must lie in [0, 1], got {ratio}; 0.5 keeps peaks down to half the "
            "exit threshold, 1.0 (or 0) keeps none."
        )
    none = np.zeros((0, 2)), np.zeros(0)
    if ratio in (0.0, 1.0):
        return none
    pts, vals = find_exits(exit_prob, ratio * threshold, min_distance_px)
    keep = vals < threshold
    if len(pts) and len(exits):
        dist, _ = cKDTree(np.asarray(exits, dtype=float).reshape(-1, 2)).query(pts)
        keep &= dist >= min_distance_px
    return pts[keep], vals[keep]


@dataclass
class Located:
    """Exit peaks of one image and which of them are counted hairs.

    Attributes:
        exits: ``(N, 2)`` every exit peak ``(x, y)``, strongest first (also outside the area:
            a neighbour outside still claims its own shaft).
        scores: ``(N,)`` heatmap value at each peak.
        hints: ``(N,)`` rough diameter at each exit (px), from the diameter map.
        traces: one traced shaft per exit.
        far: ``(N,)`` the peak is the far end of another hair's shaft (:mod:`.ends`).
        inside: ``(N,)`` the peak lies in the analysed area.
        keep: ``(N,)`` counted: inside the area and not a far end.
        unmeasured: ``(N,)`` counted without a width (a reviewer marked it not
            assessable); ``None``: every width is read.
    """

    exits: np.ndarray
    scores: np.ndarray
    hints: np.ndarray
    traces: list[Trace]
    far: np.ndarray
    inside: np.ndarray
    keep: np.ndarray
    unmeasured: np.ndarray | None = None


def locate_hairs(
    exit_prob: np.ndarray,
    shaft_prob: np.ndarray,
    diameter_px: np.ndarray,
    *,
    threshold: float,
    min_distance_px: float,
    inside: Callable[[np.ndarray], np.ndarray],
    shaft_threshold: float = 0.5,
    max_turn_deg: float = 15.0,
    default_diameter_px: float = 6.0,
    drop_far_ends: bool = True,
    peaks: tuple[np.ndarray, np.ndarray] | None = None,
) -> Located:
    """Find, trace and select the hairs of one image (see :class:`Located`).

    Args:
        exit_prob, shaft_prob, diameter_px: the prediction's ``(H, W)`` maps.
        threshold: least exit peak value; ``min_distance_px``: closer peaks are one exit.
        inside: ``(N, 2)`` points -> ``(N,)`` bool, whether each lies in the analysed area.
        shaft_threshold, max_turn_deg: tracing (:func:`~.trace.trace_hairs`).
        default_diameter_px: diameter hint where the map has none near an exit.
        drop_far_ends: drop peaks that are the far end of another traced hair.
        peaks: the map's peaks found once for a sweep over thresholds (:func:`find_exits`).
    """
    shaft = np.nan_to_num(np.asarray(shaft_prob, dtype=np.float32))
    dmap = np.nan_to_num(np.asarray(diameter_px, dtype=np.float32))
    exits, scores = find_exits(exit_prob, threshold, min_distance_px, peaks)
    hints = np.array([diameter_hint(dmap, shaft, xy, shaft_threshold, default_diameter_px) for xy in exits])
    traces = trace_hairs(shaft, exits, hints, threshold=shaft_threshold, max_turn_deg=max_turn_deg)
    far = far_ends(exits, scores, traces, hints) if drop_far_ends else np.zeros(len(exits), dtype=bool)
    in_area = np.asarray(inside(exits), dtype=bool) if len(exits) else np.zeros(0, dtype=bool)
    return Located(exits, scores, hints.reshape(-1), traces, far, in_area, in_area & ~far)


def diameter_hint(
    dmap: np.ndarray, shaft: np.ndarray, xy: np.ndarray, shaft_threshold: float, default_px: float
) -> float:
    """Rough diameter of the hair at an exit: the map at the nearest shaft pixels.

    Taken right at the exit (the hair's own pixels) rather than over a window, which in a
    follicular unit would mix in the thicker neighbours.
    """
    h, w = dmap.shape
    x, y = round(xy[0]), round(xy[1])
    for r in (1, 3, 8):
        y0, y1, x0, x1 = max(y - r, 0), min(y + r + 1, h), max(x - r, 0), min(x + r + 1, w)
        ok = (shaft[y0:y1, x0:x1] >= shaft_threshold) & (dmap[y0:y1, x0:x1] > 0)
        if ok.any():
            yy, xx = np.nonzero(ok)
            dist = (yy + y0 - xy[1]) ** 2 + (xx + x0 - xy[0]) ** 2
            near = dist <= dist.min() + 2.0
            return float(np.median(dmap[y0:y1, x0:x1][ok][near]))
    return default_px


def straight_trace(
    root: np.ndarray, tip: np.ndarray, shape: tuple[int, int], border_px: float = 2.0
) -> Trace:
    """The visible shaft of a segment detector's hair: the straight line root -> tip."""
    root, tip = np.asarray(root, float), np.asarray(tip, float)
    d = tip - root
    length = float(np.hypot(*d))
    n = max(2, int(np.ceil(length)) + 1)
    points = root + np.linspace(0.0, 1.0, n)[:, None] * d
    h, w = shape
    x, y = tip
    at_border = x < border_px or y < border_px or x > w - 1 - border_px or y > h - 1 - border_px
    direction = float(np.degrees(np.arctan2(-d[1], d[0]))) % 360.0 if length > 0 else 0.0
    return Trace(points, direction, length, 1.0, bool(at_border))


def locate_segments(
    hairs,
    shape: tuple[int, int],
    *,
    threshold: float,
    inside: Callable[[np.ndarray], np.ndarray],
    default_diameter_px: float = 6.0,
) -> Located:
    """The counting step for a detector that gives each hair as a segment (root, tip).

    Every segment scoring at least ``threshold`` is a hair whose exit point is its root;
    there are no far ends to drop (one peak per shaft by construction).

    Args:
        hairs: a :class:`~trichometry.inference.segments.SegmentHairs` (image px).
        shape: ``(H, W)`` of the image.
        threshold: least (calibrated) score.
        inside: as :func:`locate_hairs`.
        default_diameter_px: diameter hint where the detector gives none.
    """
    strong = hairs.select(np.asarray(hairs.scores) >= threshold)
    exits = np.asarray(strong.roots, float).reshape(-1, 2)
    hints = np.where(strong.diameters_px > 0, strong.diameters_px, default_diameter_px).astype(float)
    traces = [straight_trace(r, t, shape) for r, t in zip(strong.roots, strong.tips)]
    in_area = np.asarray(inside(exits), dtype=bool) if len(exits) else np.zeros(0, dtype=bool)
    far = np.zeros(len(exits), dtype=bool)
    unmeasured = None if strong.assessable is None else ~np.asarray(strong.assessable, bool)
    return Located(
        exits, np.asarray(strong.scores, float), hints, traces, far, in_area, in_area.copy(), unmeasured
    )


def segment_candidates(hairs, threshold: float, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Sub-threshold segments' roots (scores in ``[ratio * threshold, threshold)``), as
    :func:`find_candidates` gives them for heatmap detectors."""
    if not 0.0 <= ratio <= 1.0:
        raise ConfigError(f"candidate_ratio must lie in [0, 1], got {ratio}.")
    if ratio in (0.0, 1.0):
        return np.zeros((0, 2)), np.zeros(0)
    s = np.asarray(hairs.scores, float)
    keep = (s >= ratio * threshold) & (s < threshold)
    return np.asarray(hairs.roots, float).reshape(-1, 2)[keep], s[keep]
