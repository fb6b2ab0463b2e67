"""Rasterise one hair shaft: exact distance field, anti-aliased coverage and targets.

A shaft is the set of points within the local half-width of a polyline centreline,
cut square at both ends (at the skin exit and at the tip). For every pixel centre near
the shaft we compute, exactly, its signed perpendicular offset from the centreline,
the arc length of its closest centreline point and whether it lies between the ends.
The image uses an anti-aliased coverage derived from those distances; the targets
use the same geometry at the pixel centre (``offset <= half-width``), so the picture
and its ground truth can never disagree.

Work is done per centreline segment on the pixels of the segment's rotated box
(scan-converted row by row), so the cost follows the shaft's area, not its bounding
box; pixels near a joint keep the entry of the segment that actually spans them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np


@dataclass
class ShaftRaster:
    """Per-pixel geometry of one shaft, sparse: only pixels the shaft touches.

    All arrays are 1-D of length K (one entry per touched pixel).

    Attributes:
        ys, xs: int pixel rows / columns.
        coverage: float32 anti-aliased coverage in ``(0, 1]``.
        mask: bool, pixel centre inside the shaft (the target definition).
        u: float32 signed offset across the shaft / local half-width (``-1..1`` on it).
        s_um: float32 arc length from the exit of the closest centreline point.
        diameter_um: float32 local shaft diameter at that point.
    """

    ys: np.ndarray
    xs: np.ndarray
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
    n_seg = len(pts) - 1
    d0_px, d1_px = diameter_um / um_per_px, tip_diameter_um / um_per_px
    parts: list[tuple[np.ndarray, ...]] = []
    for i in range(n_seg):
        a, b = pts[i], pts[i + 1]
        L = seg_len[i]
        dx, dy = (b - a) / L
        lo = -1.0 if i == 0 else -pad
        hi = L + 1.0 if i == n_seg - 1 else L + pad
        yy, xx = _rect_pixels(a, dx, dy, lo, hi, pad, w_img, h_img)
        if len(yy) == 0:
            continue
        px = xx - a[0]
        py = yy - a[1]
        along = px * dx + py * dy  # px along the segment from a
        perp = px * (-dy) + py * dx  # signed offset across the segment
        t = along
        if i > 0:
            t = np.maximum(t, 0.0)
        if i < n_seg - 1:
            t = np.minimum(t, L)
        # distance to the (clamped) closest point; the ends are cut square, so beyond
        # the first / last vertex only the perpendicular offset counts
        dist = np.hypot(along - t, perp)
        near = np.flatnonzero(dist < pad)
        if len(near) == 0:
            continue
        iy, ix = yy[near].astype(np.int64), xx[near].astype(np.int64)
        along, perp, dist = along[near], perp[near], dist[near]
        s_px = s_cum[i] + np.clip(along, 0.0, L)
        r = (d0_px + (d1_px - d0_px) * (s_px / total)) / 2.0
        side = np.clip(r - dist + 0.5, 0.0, 1.0)
        in_ends = np.ones(side.shape, dtype=bool)
        if i == 0:
            side = side * np.clip(along + 0.5, 0.0, 1.0)
            in_ends &= along >= 0.0
        if i == n_seg - 1:
            side = side * np.clip(L - along + 0.5, 0.0, 1.0)
            in_ends &= along <= L
        # closeness key: prefer the segment that actually spans the pixel
        key = np.where(in_ends, dist, dist + 1e6)
        parts.append((iy, ix, key, side, (dist <= r) & in_ends, perp / np.maximum(r, 1e-6), s_px, 2 * r))
    if not parts:
        return None
    ys, xs, key, cov, mask, u, s_px, dpx = (np.concatenate(c) for c in zip(*parts))
    if len(parts) == 1:  # one segment: every pixel appears once
        pick = np.flatnonzero(cov > 0)
    else:  # pixels near a joint appear twice: keep the closest segment's entry
        flat = ys.astype(np.int64) * w_img + xs
        order = np.lexsort((key, flat))
        flat_sorted = flat[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = flat_sorted[1:] != flat_sorted[:-1]
        pick = order[first]
        pick = pick[cov[pick] > 0]
    if len(pick) == 0:
        return None
    return ShaftRaster(
        ys=ys[pick],
        xs=xs[pick],
        coverage=cov[pick].astype(np.float32),
        mask=mask[pick],
        u=u[pick].astype(np.float32),
        s_um=(s_px[pick] * um_per_px).astype(np.float32),
        diameter_um=(dpx[pick] * um_per_px).astype(np.float32),
    )


def _rect_pixels(
    a: np.ndarray, dx: float, dy: float, lo: float, hi: float, pad: float, w: int, h: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres inside the rectangle ``a + s d + q n`` (``lo <= s <= hi``, ``|q| <= pad``).

    Scan-converts the rotated rectangle row by row, so the work follows its area, not
    its bounding box.

    Returns:
        ``(ys, xs)`` float64 arrays of pixel centres inside the image.
    """
    d = np.array([dx, dy])
    n = np.array([-dy, dx])
    corners = np.array(
        [a + lo * d - pad * n, a + hi * d - pad * n, a + hi * d + pad * n, a + lo * d + pad * n]
    )
    y0 = max(math.ceil(corners[:, 1].min()), 0)
    y1 = min(math.floor(corners[:, 1].max()), h - 1)
    if y1 < y0:
        return np.zeros(0), np.zeros(0)
    rows = np.arange(y0, y1 + 1, dtype=np.float64)
    x_lo = np.full(len(rows), np.inf)
    x_hi = np.full(len(rows), -np.inf)
    for k in range(4):
        p, q = corners[k], corners[(k + 1) % 4]
        if abs(q[1] - p[1]) < 1e-12:
            ok = np.abs(rows - p[1]) < 1e-9
            x_lo = np.where(ok, np.minimum(x_lo, min(p[0], q[0])), x_lo)
            x_hi = np.where(ok, np.maximum(x_hi, max(p[0], q[0])), x_hi)
            continue
        t = (rows - p[1]) / (q[1] - p[1])
        ok = (t >= -1e-12) & (t <= 1 + 1e-12)
        x = p[0] + t * (q[0] - p[0])
        x_lo = np.where(ok, np.minimum(x_lo, x), x_lo)
        x_hi = np.where(ok, np.maximum(x_hi, x), x_hi)
    c0 = np.maximum(np.ceil(x_lo), 0)
    c1 = np.minimum(np.floor(x_hi), w - 1)
    counts = np.where(np.isfinite(c0) & np.isfinite(c1), c1 - c0 + 1, 0).astype(np.int64)
    counts = np.maximum(counts, 0)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0), np.zeros(0)
    start = np.cumsum(counts) - counts
    ys = np.repeat(rows, counts)
    xs = (
        np.arange(total, dtype=np.float64)
        - np.repeat(start, counts)
        + np.repeat(np.where(counts > 0, c0, 0), counts)
    )
    return ys, xs
