"""Optimal one-to-one assignment of two point sets within a distance limit.

The assignment minimises the summed distance of the pairs, where leaving a point
unpaired costs ``max_distance`` (so a pair is made only when it is no worse than leaving
both points alone). The bipartite graph of candidate pairs is split into connected
components first, so large sets with local structure (hairs) stay fast.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


def assign(a_xy: np.ndarray, b_xy: np.ndarray, max_distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Pair points of ``a`` with points of ``b`` no farther apart than ``max_distance``.

    Args:
        a_xy: ``(N, 2)`` points.
        b_xy: ``(M, 2)`` points (same unit).
        max_distance: largest distance of a pair (inclusive).

    Returns:
        ``(pairs, dist)``: ``pairs`` is ``(K, 2)`` int indices ``(i_a, i_b)`` sorted by
        ``i_a``; ``dist`` is ``(K,)`` their distances. Empty inputs give ``K = 0``.

    Example:
        >>> assign(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[9.0, 0.0]]), 3.0)[0].tolist()
        [[1, 0]]
    """
    a = np.asarray(a_xy, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b_xy, dtype=np.float64).reshape(-1, 2)
    empty = (np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.float64))
    if len(a) == 0 or len(b) == 0 or max_distance <= 0:
        return empty
    # "ndarray" output keeps pairs at distance exactly 0 (a sparse matrix would drop them).
    cand = cKDTree(a).sparse_distance_matrix(cKDTree(b), max_distance, output_type="ndarray")
    if len(cand) == 0:
        return empty
    rows, cols, vals = cand["i"].astype(np.int64), cand["j"].astype(np.int64), cand["v"]
    n, m = len(a), len(b)
    graph = coo_matrix((np.ones(len(rows)), (rows, n + cols)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    out_pairs: list[tuple[int, int]] = []
    order = np.argsort(labels[rows], kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    comp = labels[rows]
    bounds = np.flatnonzero(np.diff(comp)) + 1
    for r, c, v in zip(np.split(rows, bounds), np.split(cols, bounds), np.split(vals, bounds)):
        if len(r) == 1:
            out_pairs.append((int(r[0]), int(c[0])))
            continue
        ur, ri = np.unique(r, return_inverse=True)
        uc, ci = np.unique(c, return_inverse=True)
        k, l = len(ur), len(uc)
        # Augmented square problem: real block, "leave a unpaired" and "leave b unpaired" blocks.
        big = max_distance * 1e3 + 1.0
        cost = np.full((k + l, l + k), big)
        cost[ri, ci] = v
        cost[:k, l:] = np.where(np.eye(k, dtype=bool), max_distance, big)
        cost[k:, :l] = np.where(np.eye(l, dtype=bool), max_distance, big)
        cost[k:, l:] = 0.0
        rr, cc = linear_sum_assignment(cost)
        for i, j in zip(rr, cc):
            if i < k and j < l and cost[i, j] <= max_distance:
                out_pairs.append((int(ur[i]), int(uc[j])))
    if not out_pairs:
        return empty
    pairs = np.array(sorted(out_pairs), dtype=np.int64)
    dist = np.hypot(*(a[pairs[:, 0]] - b[pairs[:, 1]]).T)
    return pairs, dist
