"""Exit points (one per hair) from the exit heatmap, via the shared peak finder."""

from __future__ import annotations

import numpy as np

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
