"""Exit-point constellation hypotheses for registration (RANSAC-like, no correspondences needed).

A pair of follow-up exit points and a pair of baseline exit points at the same distance
(within the allowed scale change) fix a similarity; each hypothesis is scored by how
many follow-up points land on a dilated occupancy grid of the baseline points. The number
of trials adapts to the best inlier share found (99.9 % chance to draw an all-inlier pair).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np

from trichometry.visits import similarity as sim

if TYPE_CHECKING:
    from trichometry.visits.registration import RegistrationConfig

logger = logging.getLogger(__name__)


def _occupancy(base_xy: np.ndarray, size: tuple[int, int], tol_px: float) -> np.ndarray:
    import cv2

    w, h = size
    grid = np.zeros((h, w), dtype=np.uint8)
    r = max(1, math.ceil(tol_px))
    for x, y in base_xy:
        cv2.circle(grid, (round(x), round(y)), r, 1, thickness=-1)
    return grid


def _grid_score(mats: np.ndarray, pts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Per hypothesis, how many mapped points land on the dilated baseline points."""
    mapped = np.einsum("kij,nj->kni", mats[:, :, :2], pts) + mats[:, None, :, 2]
    xi = np.rint(mapped[..., 0]).astype(np.int64)
    yi = np.rint(mapped[..., 1]).astype(np.int64)
    h, w = grid.shape
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    hit = np.zeros(ok.shape, dtype=bool)
    hit[ok] = grid[yi[ok], xi[ok]] > 0
    return hit.sum(1)


def constellation_hypotheses(
    base_xy: np.ndarray,
    follow_xy: np.ndarray,
    base_size: tuple[int, int],
    tol_px: float,
    cfg: RegistrationConfig,
) -> list[np.ndarray]:
    """Hypotheses from pairs of exit points; returns the best few matrices."""
    n, m = len(base_xy), len(follow_xy)
    if n < 2 or m < 2:
        return []
    rng = np.random.default_rng(cfg.seed)
    grid = _occupancy(base_xy, base_size, tol_px)
    iu, ju = np.triu_indices(n, 1)
    db = np.hypot(*(base_xy[iu] - base_xy[ju]).T)
    order = np.argsort(db)
    iu, ju, db = iu[order], ju[order], db[order]
    diag = math.hypot(*base_size)
    dmin, dmax = max(6 * tol_px, 0.05 * diag), 0.45 * diag
    score_pts = follow_xy if m <= 80 else follow_xy[rng.choice(m, 80, replace=False)]
    best: list[tuple[int, np.ndarray]] = []
    best_score, trials, needed = 0, 0, cfg.max_trials
    fi, fj = np.triu_indices(m, 1)
    df = np.hypot(*(follow_xy[fi] - follow_xy[fj]).T)
    usable = np.flatnonzero((df >= dmin) & (df <= dmax))
    if len(usable) == 0:
        usable = np.arange(len(df))
    while trials < min(needed, cfg.max_trials):
        trials += 1
        k = usable[rng.integers(len(usable))]
        a, b, d = fi[k], fj[k], df[k]
        lo = np.searchsorted(db, d * (1 - cfg.max_scale_change) - tol_px)
        hi = np.searchsorted(db, d * (1 + cfg.max_scale_change) + tol_px)
        cand = np.arange(lo, hi)
        if len(cand) == 0:
            continue
        if len(cand) > 1500:
            cand = rng.choice(cand, 1500, replace=False)
        p1 = np.repeat(follow_xy[[a]], 2 * len(cand), 0)
        p2 = np.repeat(follow_xy[[b]], 2 * len(cand), 0)
        q1 = np.concatenate([base_xy[iu[cand]], base_xy[ju[cand]]])
        q2 = np.concatenate([base_xy[ju[cand]], base_xy[iu[cand]]])
        mats = sim.from_pairs(p1, p2, q1, q2)
        scale = np.hypot(mats[:, 0, 0], mats[:, 1, 0])
        mats = mats[np.abs(scale - 1) <= cfg.max_scale_change]
        if len(mats) == 0:
            continue
        scores = _grid_score(mats, score_pts, grid)
        top = int(np.argmax(scores))
        best.append((int(scores[top]), mats[top]))
        if scores[top] > best_score:
            best_score = int(scores[top])
            w = min(best_score / len(score_pts), 0.999)
            needed = max(15, math.ceil(math.log(1 - 0.999) / math.log(1 - w * w + 1e-12)))
    best.sort(key=lambda t: -t[0])
    logger.debug("constellation: %d trials, best grid score %d of %d", trials, best_score, len(score_pts))
    return [mat for _, mat in best[:5]]
