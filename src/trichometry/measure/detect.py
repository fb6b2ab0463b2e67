"""Exit points (one per hair) from the exit heatmap, via the shared peak finder."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from trichometry.errors import ConfigError
from trichometry.inference.peaks import find_exit_points
from trichometry.measure.trace import sample


def find_exits(
    exit_prob: np.ndarray, threshold: float, min_distance_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exit points and their heatmap values.

    Returns:
        ``(N, 2)`` float ``(x, y)`` strongest first, and ``(N,)`` peak values.
    """
    prob = np.nan_to_num(np.asarray(exit_prob, dtype=np.float32))
    pts = find_exit_points(prob, threshold=threshold, min_distance_px=min_distance_px)
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
