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

TIP_POINT = 0.15  # a natural tip ends at this fraction of the tapered diameter


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
    tip_zone_um: float = 0.0,
) -> ShaftRaster | None:
    """Rasterise a shaft whose centreline is ``centre_px`` (exit first).

    Args:
        centre_px: ``(N, 2)`` centreline in pixels, N >= 2, exit first.
        diameter_um: diameter at the exit; tapers linearly (in arc length) to
            ``tip_diameter_um`` at the tip.
        um_per_px: image scale.
        shape: ``(H, W)`` of the image.
        tip_zone_um: length of a natural, pointed tip: over its last ``tip_zone_um``
            the shaft narrows further, to :data:`TIP_POINT` of the tapered diameter at
            the very end (0 = no tip zone, as for a cut hair).

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
    idx = np.arange(n_seg)
    d = (pts[1:] - pts[:-1]) / seg_len[:, None]  # unit directions (S, 2)
    lo = np.where(idx == 0, -1.0, -pad)
    hi = np.where(idx == n_seg - 1, seg_len + 1.0, seg_len + pad)
    # every pixel of every segment's rotated box, with the segment it belongs to
    ys, xs, seg = _rects_pixels(pts[:-1], d, lo, hi, pad, w_img, h_img)
    if len(ys) == 0:
        return None
    a = pts[:-1][seg]
    dx, dy = d[seg, 0], d[seg, 1]
    L = seg_len[seg]
    px, py = xs - a[:, 0], ys - a[:, 1]
    along = px * dx + py * dy  # px along the segment from its start
    perp = px * (-dy) + py * dx  # signed offset across it
    first, last = seg == 0, seg == n_seg - 1
    # distance to the closest point; joints are round, the two ends are cut square
    t = np.where(first, along, np.maximum(along, 0.0))
    t = np.where(last, t, np.minimum(t, L))
    dist = np.hypot(along - t, perp)
    near = np.flatnonzero(dist < pad)
    if len(near) == 0:
        return None
    ys, xs, seg, along, perp, dist, L, first, last = (
        v[near] for v in (ys, xs, seg, along, perp, dist, L, first, last)
    )
    s_px = s_cum[seg] + np.clip(along, 0.0, L)
    d0_px, d1_px = diameter_um / um_per_px, tip_diameter_um / um_per_px
    r = (d0_px + (d1_px - d0_px) * (s_px / total)) / 2.0
    if tip_zone_um > 0:
        zone = tip_zone_um / um_per_px
        r = r * (TIP_POINT + (1.0 - TIP_POINT) * np.clip((total - s_px) / zone, 0.0, 1.0))
    cov = np.clip(r - dist + 0.5, 0.0, 1.0)
    cov = cov * np.where(first, np.clip(along + 0.5, 0.0, 1.0), 1.0)
    cov = cov * np.where(last, np.clip(L - along + 0.5, 0.0, 1.0), 1.0)
    in_ends = (~first | (along >= 0.0)) & (~last | (along <= L))
    mask = (dist <= r) & in_ends
    if n_seg == 1:  # one segment: every pixel appears once
        pick = np.flatnonzero(cov > 0)
    else:  # pixels near a joint appear twice: keep the segment that spans them
        key = np.where(in_ends, dist, dist + 1e6)
        flat = ys.astype(np.int64) * w_img + xs.astype(np.int64)
        order = np.lexsort((key, flat))
        flat_sorted = flat[order]
        keep_first = np.ones(len(order), dtype=bool)
        keep_first[1:] = flat_sorted[1:] != flat_sorted[:-1]
        pick = order[keep_first]
        pick = pick[cov[pick] > 0]
    if len(pick) == 0:
        return None
    return ShaftRaster(
        ys=ys[pick].astype(np.int64),
        xs=xs[pick].astype(np.int64),
        coverage=cov[pick].astype(np.float32),
        mask=mask[pick],
        u=(perp[pick] / np.maximum(r[pick], 1e-6)).astype(np.float32),
        s_um=(s_px[pick] * um_per_px).astype(np.float32),
        diameter_um=(2.0 * r[pick] * um_per_px).astype(np.float32),
    )


def _rect_pixels(
    a: np.ndarray, dx: float, dy: float, lo: float, hi: float, pad: float, w: int, h: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres inside one rectangle; see :func:`_rects_pixels`."""
    ys, xs, _ = _rects_pixels(
        np.asarray(a, dtype=float)[None], np.array([[dx, dy]]), np.array([lo]), np.array([hi]), pad, w, h
    )
    return ys, xs


def _rects_pixels(
    a: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray, pad: float, w: int, h: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel centres inside rectangles ``a_i + s d_i + q n_i`` (``lo_i <= s <= hi_i``, ``|q| <= pad``).

    Scan-converts all rotated rectangles at once, row by row, so the work follows
    their area, not their bounding boxes.

    Args:
        a, d: ``(S, 2)`` origins and unit directions; ``lo``, ``hi``: ``(S,)``.

    Returns:
        ``(ys, xs, rect)``: float64 pixel centres inside the image and the index of
        the rectangle each belongs to (a pixel may appear once per rectangle).
    """
    n = np.stack([-d[:, 1], d[:, 0]], axis=1)
    c = np.stack(
        [
            a + lo[:, None] * d - pad * n,
            a + hi[:, None] * d - pad * n,
            a + hi[:, None] * d + pad * n,
            a + lo[:, None] * d + pad * n,
        ],
        axis=1,
    )  # (S, 4, 2)
    y0 = np.maximum(np.ceil(c[:, :, 1].min(axis=1)), 0).astype(np.int64)
    y1 = np.minimum(np.floor(c[:, :, 1].max(axis=1)), h - 1).astype(np.int64)
    nrows = np.maximum(y1 - y0 + 1, 0)
    total_rows = int(nrows.sum())
    empty = np.zeros(0)
    if total_rows == 0:
        return empty, empty, np.zeros(0, dtype=np.int64)
    rect = np.repeat(np.arange(len(a)), nrows)
    rows = (np.arange(total_rows) - np.repeat(np.cumsum(nrows) - nrows, nrows) + y0[rect]).astype(np.float64)
    x_lo = np.full(total_rows, np.inf)
    x_hi = np.full(total_rows, -np.inf)
    cr = c[rect]  # (R, 4, 2)
    for k in range(4):
        p, q = cr[:, k], cr[:, (k + 1) % 4]
        dyk = q[:, 1] - p[:, 1]
        flat = np.abs(dyk) < 1e-12
        t = (rows - p[:, 1]) / np.where(flat, 1.0, dyk)
        ok = ~flat & (t >= -1e-12) & (t <= 1 + 1e-12)
        x = p[:, 0] + t * (q[:, 0] - p[:, 0])
        on_edge = flat & (np.abs(rows - p[:, 1]) < 1e-9)
        x_lo = np.where(ok, np.minimum(x_lo, x), x_lo)
        x_hi = np.where(ok, np.maximum(x_hi, x), x_hi)
        x_lo = np.where(on_edge, np.minimum(x_lo, np.minimum(p[:, 0], q[:, 0])), x_lo)
        x_hi = np.where(on_edge, np.maximum(x_hi, np.maximum(p[:, 0], q[:, 0])), x_hi)
    valid = np.isfinite(x_lo) & np.isfinite(x_hi)
    c0 = np.where(valid, np.maximum(np.ceil(np.where(valid, x_lo, 0.0)), 0), 0)
    c1 = np.where(valid, np.minimum(np.floor(np.where(valid, x_hi, -1.0)), w - 1), -1)
    counts = np.maximum(c1 - c0 + 1, 0).astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return empty, empty, np.zeros(0, dtype=np.int64)
    start = np.cumsum(counts) - counts
    ys = np.repeat(rows, counts)
    xs = np.arange(total, dtype=np.float64) - np.repeat(start, counts) + np.repeat(c0, counts)
    return ys, xs, np.repeat(rect, counts)
