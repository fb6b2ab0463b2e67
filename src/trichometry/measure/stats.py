"""Summary statistics of a set of hairs: counts with exact intervals, units, directions, evenness."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.stats import chi2


def garwood_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) two-sided confidence interval for a Poisson count.

    ``lower = chi2.ppf(a/2, 2k) / 2`` (0 for ``k = 0``), ``upper = chi2.ppf(1 - a/2, 2k + 2) / 2``
    with ``a = 1 - confidence``. Divide by the area for a density interval.
    """
    a = 1.0 - confidence
    k = int(count)
    lo = 0.0 if k == 0 else float(chi2.ppf(a / 2.0, 2 * k) / 2.0)
    hi = float(chi2.ppf(1.0 - a / 2.0, 2 * k + 2) / 2.0)
    return lo, hi


def single_linkage_groups(xy: np.ndarray, link_distance: float) -> np.ndarray:
    """Group points whose chain of neighbours lies within ``link_distance`` (single linkage).

    Args:
        xy: ``(N, 2)`` points (any unit, same as ``link_distance``).
        link_distance: two points closer than or equal to this share a group.

    Returns:
        ``(N,)`` int group labels ``0..G-1`` (groups numbered by their first point).
    """
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(pts)
    if n == 0:
        return np.zeros(0, dtype=int)
    pairs = cKDTree(pts).query_pairs(r=float(link_distance), output_type="ndarray")
    graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # renumber in order of first appearance for stable output
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    return remap[labels]


def unit_summary(labels: np.ndarray, max_hairs: int = 5) -> dict[str, Any]:
    """Units count and the hairs-per-unit histogram (last bin is ``>= max_hairs``)."""
    if len(labels) == 0:
        return {"units": 0, "hairs_per_unit": {str(k): 0 for k in range(1, max_hairs + 1)}, "mean": None}
    sizes = np.bincount(labels)
    hist = {str(k): int((sizes == k).sum()) for k in range(1, max_hairs)}
    hist[f"{max_hairs}+"] = int((sizes >= max_hairs).sum())
    return {"units": len(sizes), "hairs_per_unit": hist, "mean": float(sizes.mean())}


def direction_summary(angles_deg: np.ndarray, bins: int = 12) -> dict[str, Any]:
    """Circular statistics of hair directions (exit -> tip; degrees, 0 = +x, 90 = up).

    Returns the circular mean, the mean resultant length ``R`` (1 = all parallel,
    0 = uniform), the circular standard deviation ``sqrt(-2 ln R)`` and a histogram with
    ``bins`` sectors starting at 0 degrees.
    """
    a = np.deg2rad(np.asarray(angles_deg, dtype=float))
    a = a[np.isfinite(a)]
    edges = np.linspace(0.0, 360.0, bins + 1)
    if len(a) == 0:
        return {"n": 0, "mean_deg": None, "resultant_length": None, "circular_sd_deg": None,
                "histogram": {"edges_deg": edges.tolist(), "counts": [0] * bins}}  # fmt: skip
    c, s = np.cos(a).mean(), np.sin(a).mean()
    r = float(math.hypot(c, s))
    counts, _ = np.histogram(np.rad2deg(a) % 360.0, bins=edges)
    return {
        "n": len(a),
        "mean_deg": float(math.degrees(math.atan2(s, c)) % 360.0),
        "resultant_length": r,
        "circular_sd_deg": float(math.degrees(math.sqrt(-2.0 * math.log(r)))) if r > 1e-12 else None,
        "histogram": {"edges_deg": edges.tolist(), "counts": counts.astype(int).tolist()},
    }


def clark_evans(xy: np.ndarray, area: float) -> float | None:
    """Clark-Evans nearest-neighbour ratio ``R = mean NN distance / (0.5 / sqrt(n / area))``.

    ``R ~ 1`` random (Poisson), ``< 1`` clustered, ``> 1`` regular. No edge correction, so
    small areas read slightly high. ``None`` for fewer than 2 points. ``xy`` and ``area``
    must use the same length unit.
    """
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(pts)
    if n < 2 or area <= 0:
        return None
    d, _ = cKDTree(pts).query(pts, k=2)
    return float(d[:, 1].mean() / (0.5 / math.sqrt(n / area)))


def quadrat_cv(xy: np.ndarray, mask: np.ndarray, cells: int = 4) -> float | None:
    """Coefficient of variation (%) of counts in a ``cells x cells`` grid over the analysed
    area, each cell's count scaled by its analysed fraction; cells under 25 % analysed are
    skipped. ``None`` when fewer than 2 cells remain or no hair is present.
    """
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    h, w = mask.shape
    ys = np.linspace(0, h, cells + 1).round().astype(int)
    xs = np.linspace(0, w, cells + 1).round().astype(int)
    dens = []
    full = (h * w) / (cells * cells)
    for i in range(cells):
        for j in range(cells):
            frac = mask[ys[i] : ys[i + 1], xs[j] : xs[j + 1]].sum() / full
            if frac < 0.25:
                continue
            px, py = pts[:, 0] + 0.5, pts[:, 1] + 0.5
            inside = (px >= xs[j]) & (px < xs[j + 1]) & (py >= ys[i]) & (py < ys[i + 1])
            dens.append(inside.sum() / frac)
    dens_arr = np.asarray(dens, dtype=float)
    if len(dens_arr) < 2 or dens_arr.mean() <= 0:
        return None
    return float(100.0 * dens_arr.std(ddof=1) / dens_arr.mean())
