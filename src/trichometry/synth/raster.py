"""Rasterise one hair shaft: exact distance field, anti-aliased coverage and targets.

A shaft is the set of points within the local half-width of a polyline centreline,
cut square at both ends (at the skin exit and at the tip). For every pixel centre near
the shaft we compute, exactly, its signed perpendicular offset from the centreline,
the arc length of its closest centreline point and whether it lies between the ends.
The image uses an anti-aliased coverage derived from those distances; the targets
use the same geometry at the pixel centre (``offset <= half-width``), so the picture
and its ground truth can never disagree.

Work is done per centreline segment on the segment's own small bounding box, so the
cost follows the shaft's area, not its bounding box.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np


@dataclass
class ShaftRaster:
    """Per-pixel geometry of one shaft inside a box of the image.

    All arrays are ``(h, w)`` for the box ``[y0:y0+h, x0:x0+w]``.

    Attributes:
        x0, y0: top-left pixel of the box.
        coverage: float32 anti-aliased coverage in ``[0, 1]``.
        mask: bool, pixel centre inside the shaft (the target definition).
        u: float32 signed offset across the shaft / local half-width (``-1..1`` on it).
        s_um: float32 arc length from the exit of the closest centreline point.
        diameter_um: float32 local shaft diameter at that point.
    """

    x0: int
    y0: int
    coverage: np.ndarray
    mask: np.ndarray
    u: np.ndarray
    s_um: np.ndarray
    diameter_um: np.ndarray


def split_polyline(points: np.ndarray, max_seg_px: float, min_seg_px: float) -> np.ndarray:
    """Resample a polyline so no segment exceeds ``max_seg_px`` (keeps its vertices).

    Segments are split into equal pieces; a piece is never made shorter than
    ``min_seg_px`` by the split (original short segments are kept as they are).

    Args:
        points: ``(N, 2)`` pixel coordinates.

    Returns:
        ``(M, 2)`` with ``M >= N``.
    """
    out = [points[:1]]
    for a, b in itertools.pairwise(points):
        seg = float(np.hypot(*(b - a)))
        k = max(1, min(math.ceil(seg / max_seg_px), math.floor(seg / max(min_seg_px, 1e-9))))
        t = np.linspace(0.0, 1.0, k + 1)[1:, None]
        out.append(a + (b - a) * t)
    return np.concatenate(out, axis=0)


def rasterise_shaft(
    centre_px: np.ndarray,
    diameter_um: float,
    tip_diameter_um: float,
    um_per_px: float,
    shape: tuple[int, int],
) -> ShaftRaster | None:
    """Rasterise a shaft whose centreline is ``centre_px`` (exit first).

    Args:
        centre_px: ``(N, 2)`` centreline in pixels, N >= 2, exit first.
        diameter_um: diameter at the exit; tapers linearly (in arc length) to
            ``tip_diameter_um`` at the tip.
        um_per_px: image scale.
        shape: ``(H, W)`` of the image.

    Returns:
        The raster over the shaft's box clipped to the image, or None when the shaft
        does not touch the image.
    """
    h_img, w_img = shape
    pts = np.asarray(centre_px, dtype=np.float64)
    seg_len = np.hypot(*(pts[1:] - pts[:-1]).T)
    keep = np.r_[True, seg_len > 1e-9]
    pts = pts[keep]
    if len(pts) < 2:
        return None
    seg_len = np.hypot(*(pts[1:] - pts[:-1]).T)
    s_cum = np.r_[0.0, np.cumsum(seg_len)]  # px
    total = float(s_cum[-1])
    r_max = max(diameter_um, tip_diameter_um) / 2.0 / um_per_px
    pad = r_max + 1.5
    lo = np.floor(pts.min(axis=0) - pad).astype(int)
    hi = np.ceil(pts.max(axis=0) + pad).astype(int)
    bx0, by0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
    bx1, by1 = min(int(hi[0]), w_img - 1), min(int(hi[1]), h_img - 1)
    if bx1 < bx0 or by1 < by0:
        return None
    bh, bw = by1 - by0 + 1, bx1 - bx0 + 1
    best = np.full((bh, bw), np.inf, dtype=np.float32)  # distance metric used to pick the segment
    cov = np.zeros((bh, bw), dtype=np.float32)
    inside = np.zeros((bh, bw), dtype=bool)
    u_map = np.zeros((bh, bw), dtype=np.float32)
    s_map = np.zeros((bh, bw), dtype=np.float32)
    d_map = np.zeros((bh, bw), dtype=np.float32)
    n_seg = len(pts) - 1
    d0_px, d1_px = diameter_um / um_per_px, tip_diameter_um / um_per_px
    for i in range(n_seg):
        a, b = pts[i], pts[i + 1]
        sx0 = max(math.floor(min(a[0], b[0]) - pad), bx0)
        sy0 = max(math.floor(min(a[1], b[1]) - pad), by0)
        sx1 = min(math.ceil(max(a[0], b[0]) + pad), bx1)
        sy1 = min(math.ceil(max(a[1], b[1]) + pad), by1)
        if sx1 < sx0 or sy1 < sy0:
            continue
        xs = np.arange(sx0, sx1 + 1, dtype=np.float64)
        ys = np.arange(sy0, sy1 + 1, dtype=np.float64)
        L = seg_len[i]
        dx, dy = (b - a) / L
        px = xs[None, :] - a[0]
        py = ys[:, None] - a[1]
        along = px * dx + py * dy  # px along the segment from a
        perp = px * (-dy) + py * dx  # signed offset (left of travel is negative y-down)
        t = along
        if i > 0:
            t = np.maximum(t, 0.0)
        if i < n_seg - 1:
            t = np.minimum(t, L)
        # distance to the (clamped) closest point; ends are cut square, so beyond
        # the first / last vertex only the perpendicular offset counts
        dist = np.hypot(along - t, perp)
        s_px = s_cum[i] + np.clip(along, 0.0, L)
        diam_px = d0_px + (d1_px - d0_px) * (s_px / total)
        r = diam_px / 2.0
        side = np.clip(r - dist + 0.5, 0.0, 1.0)
        end = np.ones_like(side)
        in_ends = np.ones(side.shape, dtype=bool)
        if i == 0:
            end = np.minimum(end, np.clip(along + 0.5, 0.0, 1.0))
            in_ends &= along >= 0.0
        if i == n_seg - 1:
            end = np.minimum(end, np.clip(L - along + 0.5, 0.0, 1.0))
            in_ends &= along <= L
        c = side * end
        m = (dist <= r) & in_ends
        # closeness key: prefer the segment that actually covers the pixel
        key = np.where(in_ends, dist, dist + 1e6).astype(np.float32)
        sl = np.s_[sy0 - by0 : sy1 - by0 + 1, sx0 - bx0 : sx1 - bx0 + 1]
        upd = key < best[sl]
        best[sl] = np.where(upd, key, best[sl])
        cov[sl] = np.where(upd, c, cov[sl])
        inside[sl] = np.where(upd, m, inside[sl])
        u_map[sl] = np.where(upd, perp / np.maximum(r, 1e-6), u_map[sl])
        s_map[sl] = np.where(upd, s_px * um_per_px, s_map[sl])
        d_map[sl] = np.where(upd, diam_px * um_per_px, d_map[sl])
    if not cov.any():
        return None
    return ShaftRaster(bx0, by0, cov, inside, u_map, s_map, d_map)
