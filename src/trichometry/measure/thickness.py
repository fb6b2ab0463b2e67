"""Shaft diameter from the image intensity profile across the hair, to sub-pixel precision.

Cross-sections are taken perpendicular to the traced shaft from ``start_d`` diameters
past the exit point outwards (past the follicle opening, before taper and the cut end);
sections where another shaft lies beside the hair (units, crossings) are skipped and the
first ``n_sections`` clean ones count. Each profile (0.25 px samples, averaged over three parallel
lines one pixel apart) is reduced to a width in two ways:

* ``half_depth``: full width at half depth between the local skin level (median just
  outside the shaft, per side) and the shaft core, crossings linearly interpolated;
* ``edge``: distance between the steepest rise and fall of the (lightly smoothed)
  profile, each refined with a parabola.

For an opaque shaft blurred by the optics both equal the diameter; for a translucent
(round, lighter) shaft the half-depth width reads short (a disc's chord profile falls to
half at 0.87 of the diameter) while the steepest edges stay at the shaft boundary, so
``edge`` is the default. The hair's width is the median over valid cross-sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from trichometry.measure.trace import sample

STEP = 0.25  # px between profile samples


@dataclass
class ProfileWidth:
    """Width of one hair from its intensity profile.

    Attributes:
        width_px: median width over valid sections (``method``), ``None`` if too few were valid.
        half_depth_px: median full width at half depth, ``None`` if unavailable.
        edge_px: median steepest-edge width, ``None`` if unavailable.
        n_sections: cross-sections tried; ``n_valid``: those that gave a width.
        contrast: median shaft-minus-skin darkness (grey levels, 0-255).
        spread_px: median absolute deviation of the section widths.
        method: ``"edge"`` or ``"half_depth"``.
    """

    width_px: float | None
    half_depth_px: float | None
    edge_px: float | None
    n_sections: int
    n_valid: int
    contrast: float
    spread_px: float | None
    method: str
    widths_px: list[float] = field(default_factory=list)


def darkness(image_rgb: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 darkness ``255 - luminance`` (Rec. 601) of an RGB uint8 image."""
    img = np.asarray(image_rgb, dtype=np.float32)
    return 255.0 - (0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2])


def _arc_positions(points: np.ndarray, s_query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    seg = np.diff(points, axis=0)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    x = np.interp(s_query, s, points[:, 0])
    y = np.interp(s_query, s, points[:, 1])
    return x, y


def section_width(prof: np.ndarray, t: np.ndarray, d: float) -> tuple[float, float, float] | None:
    """``(half_depth_px, edge_px, contrast)`` of one profile of darkness over offsets ``t``."""
    margin, band = _margin(d), _band(d)
    left = prof[(t <= -(0.5 * d + margin)) & (t >= -(0.5 * d + margin + band))]
    right = prof[(t >= 0.5 * d + margin) & (t <= 0.5 * d + margin + band)]
    if len(left) < 3 or len(right) < 3:
        return None
    bg_l, bg_r = float(np.median(left)), float(np.median(right))
    core_zone = np.abs(t) <= max(0.5 * d, 1.0)
    signed = prof - 0.5 * (bg_l + bg_r)
    polarity = 1.0 if signed[core_zone].mean() >= 0 else -1.0  # light hairs on dark skin flip
    p = polarity * prof
    bl, br = polarity * bg_l, polarity * bg_r
    idx = np.flatnonzero(core_zone)
    c = int(idx[np.argmax(p[idx])])
    core = float(p[c])
    contrast = core - max(bl, br)
    if contrast <= 0:
        return None
    # isolation: another shaft (or the follicle of a neighbour) in a skin band spoils the section
    if (polarity * left).max() > bl + 0.5 * (core - bl) or (polarity * right).max() > br + 0.5 * (core - br):
        return None
    # half depth, per side
    hl, hr = 0.5 * (core + bl), 0.5 * (core + br)
    i = c
    while i > 0 and p[i] > hl:
        i -= 1
    j = c
    while j < len(p) - 1 and p[j] > hr:
        j += 1
    if p[i] > hl or p[j] > hr:
        return None
    xl = t[i] + (hl - p[i]) / (p[i + 1] - p[i]) * STEP if p[i + 1] != p[i] else t[i]
    xr = t[j] - (hr - p[j]) / (p[j - 1] - p[j]) * STEP if p[j - 1] != p[j] else t[j]
    fwhm = float(xr - xl)
    # steepest edges, searched between the core and the skin bands
    g = np.gradient(ndimage.gaussian_filter1d(p, 0.5 / STEP), STEP)
    lo = np.flatnonzero(t > -(0.5 * d + margin))[0]
    hi = np.flatnonzero(t < 0.5 * d + margin)[-1]
    il = lo + int(np.argmax(g[lo : c + 1]))
    ir = c + int(np.argmin(g[c : hi + 1]))
    edge = float(t[ir] - t[il]) + _parabola(g, ir, -1) - _parabola(g, il, 1)
    return fwhm, edge, contrast


def _parabola(g: np.ndarray, i: int, sign: int) -> float:
    """Sub-sample offset (px) of an extremum of ``sign * g`` at index ``i``."""
    if i <= 0 or i >= len(g) - 1:
        return 0.0
    a, b, c = sign * g[i - 1], sign * g[i], sign * g[i + 1]
    den = a - 2 * b + c
    if den >= 0:
        return 0.0
    return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) * STEP


def profile_width(
    dark: np.ndarray,
    points: np.ndarray,
    diam_hint_px: float,
    *,
    start_d: float = 1.5,
    span_d: float = 3.0,
    search_d: float = 9.0,
    n_sections: int = 7,
    method: str = "edge",
    min_contrast: float = 8.0,
    shaft: np.ndarray | None = None,
    shaft_threshold: float = 0.5,
) -> ProfileWidth:
    """Measure one hair's width from cross-sections of the darkness image.

    Args:
        dark: ``(H, W)`` darkness (see :func:`darkness`).
        points: ``(N, 2)`` traced centreline from the exit point.
        diam_hint_px: rough diameter (sets where and how wide the profiles are).
        start_d: first section, in diameters from the exit point.
        span_d: spacing of the sections: ``n_sections`` per ``span_d`` diameters.
        search_d: how far (diameters past ``start_d``) to look for clean sections; the
            first ``n_sections`` that are isolated (no other shaft beside them) count.
        n_sections: number of cross-sections.
        method: ``"edge"`` or ``"half_depth"`` (the one reported as ``width_px``).
        min_contrast: smallest shaft-minus-skin darkness (grey levels) that counts.
        shaft: optional ``(H, W)`` shaft probability; a section whose shaft run across
            the hair is wider than 1.5 diameters (another hair overlaps) is skipped.
        shaft_threshold: probability that counts as shaft.
    """
    d = max(float(diam_hint_px), 2.0)
    sections = section_profiles(
        dark,
        points,
        d,
        start_d=start_d,
        span_d=span_d,
        search_d=search_d,
        n_sections=n_sections,
        shaft=shaft,
        shaft_threshold=shaft_threshold,
    )
    return widths_from_sections(sections, d, n_sections=n_sections, method=method, min_contrast=min_contrast)


def widths_from_sections(
    sections: tuple[np.ndarray, np.ndarray] | None,
    diam_hint_px: float,
    *,
    n_sections: int = 7,
    method: str = "edge",
    min_contrast: float = 8.0,
) -> ProfileWidth:
    """The half-depth and steepest-edge widths of the first ``n_sections`` valid sections
    (:func:`section_profiles`); see :func:`profile_width`."""
    d = max(float(diam_hint_px), 2.0)
    if sections is None:
        return ProfileWidth(None, None, None, 0, 0, 0.0, None, method)
    profiles, t = sections
    res = []
    for prof in profiles:
        r = section_width(prof, t, d)
        if (
            r is None
            or r[2] < min_contrast
            or not (0.25 * d <= r[1] <= 4 * d)
            or not (0.25 * d <= r[0] <= 4 * d)
        ):
            continue
        res.append(r)
        if len(res) == n_sections:
            break
    n_valid = len(res)
    if n_valid < max(2, n_sections // 3):
        contrast = float(np.median([r[2] for r in res])) if res else 0.0
        return ProfileWidth(None, None, None, n_sections, n_valid, contrast, None, method)
    arr = np.asarray(res)
    fwhm, edge = float(np.median(arr[:, 0])), float(np.median(arr[:, 1]))
    col = 1 if method == "edge" else 0
    widths = arr[:, col]
    width = float(np.median(widths))
    return ProfileWidth(
        width_px=width,
        half_depth_px=fwhm,
        edge_px=edge,
        n_sections=n_sections,
        n_valid=n_valid,
        contrast=float(np.median(arr[:, 2])),
        spread_px=float(np.median(np.abs(widths - width))),
        method=method,
        widths_px=[float(v) for v in widths],
    )


def section_profiles(
    dark: np.ndarray,
    points: np.ndarray,
    d: float,
    *,
    start_d: float = 1.5,
    span_d: float = 3.0,
    search_d: float = 9.0,
    n_sections: int = 7,
    shaft: np.ndarray | None = None,
    shaft_threshold: float = 0.5,
    masked: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Darkness profiles across the shaft near the root, nearest the exit first.

    Sections run perpendicular to the traced centreline ``points`` at evenly spaced arc
    positions from ``start_d`` to ``start_d + search_d`` diameters ``d`` past the exit;
    each is the mean of three parallel lines one pixel apart, sampled every ``STEP`` px.
    Sections that meet another shaft (``shaft`` given) are left out; with ``masked`` they
    are kept with a mask that ends each side where the neighbour's shaft begins (1 px
    short of it), as long as enough skin stays beside the edge (``0.5 d + margin + 3`` px
    each side) and the shaft under the trace is one hair wide.

    Returns:
        ``(profiles (K, M), offsets t (M,))`` in px across the shaft, plus ``masks (K, M)``
        (bool, samples to use) when ``masked``; ``None`` when the trace is too short to cut.
    """
    if len(points) < 2:
        return None
    seg = np.diff(points, axis=0)
    total = float(np.hypot(seg[:, 0], seg[:, 1]).sum())
    if total < 2.0:
        return None
    s0 = min(start_d * d, 0.3 * total)
    s1 = min(s0 + search_d * d, 0.85 * total)
    n_try = max(n_sections, round(n_sections * search_d / max(span_d, 1e-6)))
    s = np.linspace(s0, s1, n_try) if s1 > s0 else np.array([s0])
    half = max(0.5 * d + _margin(d) + _band(d) + 1.0, 6.0)
    t = np.arange(-half, half + STEP / 2, STEP)
    tan_x0, tan_y0 = _arc_positions(points, np.clip(s - 0.5 * d, 0, total))
    tan_x1, tan_y1 = _arc_positions(points, np.clip(s + 0.5 * d, 0, total))
    cx, cy = _arc_positions(points, s)
    out, masks = [], []
    for k in range(len(s)):
        tx, ty = tan_x1[k] - tan_x0[k], tan_y1[k] - tan_y0[k]
        norm = np.hypot(tx, ty)
        if norm < 1e-6:
            continue
        tx, ty = tx / norm, ty / norm
        nx, ny = -ty, tx
        keep = np.ones(len(t), bool)
        if shaft is not None and masked:
            keep = _free_window(shaft, cx[k], cy[k], nx, ny, d, shaft_threshold, t)
            if keep is None:
                continue
        elif shaft is not None and not _isolated(shaft, cx[k], cy[k], nx, ny, d, shaft_threshold, half):
            continue
        prof = np.zeros_like(t)
        for off in (-1.0, 0.0, 1.0):
            prof += sample(dark, cx[k] + off * tx + nx * t, cy[k] + off * ty + ny * t)
        out.append(prof / 3.0)
        masks.append(keep)
    profiles = np.asarray(out).reshape(-1, len(t))
    if masked:
        return profiles, t, np.asarray(masks, bool).reshape(-1, len(t))
    return profiles, t


def _margin(d: float) -> float:
    """Gap between the shaft edge and the skin band of a profile (blur, halo)."""
    return max(1.5, 0.2 * d)


def _band(d: float) -> float:
    """Width of the skin band on each side of a profile."""
    return max(0.6 * d, 4.0)


def _isolated(
    shaft: np.ndarray, x: float, y: float, nx: float, ny: float, d: float, thr: float, half: float
) -> bool:
    """Whether the cross-section through ``(x, y)`` meets one shaft only: the run of shaft
    pixels at the centre is at most ``d + max(2, 0.2 d)`` wide (not two touching hairs)
    and no other shaft lies within ``half`` px on either side (both skin bands are skin)."""
    t = np.arange(-half, half + 0.25, 0.5)
    on = sample(shaft, x + nx * t, y + ny * t) >= thr
    c = len(t) // 2
    if not on[c]:
        return False
    lo = hi = c
    while lo > 0 and on[lo - 1]:
        lo -= 1
    while hi < len(t) - 1 and on[hi + 1]:
        hi += 1
    if lo == 0 or hi == len(t) - 1 or (t[hi] - t[lo]) > d + max(2.0, 0.2 * d):
        return False
    return not (on[:lo].any() or on[hi + 1 :].any())


def _free_window(
    shaft: np.ndarray, x: float, y: float, nx: float, ny: float, d: float, thr: float, t: np.ndarray
) -> np.ndarray | None:
    """``(M,)`` bool over the section's offsets ``t``: the samples before another shaft
    begins on either side (1 px short of it); ``None`` when the trace is not on a shaft
    one hair wide, or a neighbour leaves too little skin beside an edge."""
    on = sample(shaft, x + nx * t, y + ny * t) >= thr
    c = int(np.argmin(np.abs(t)))
    if not on[c]:
        return None
    lo = hi = c
    while lo > 0 and on[lo - 1]:
        lo -= 1
    while hi < len(t) - 1 and on[hi + 1]:
        hi += 1
    if (t[hi] - t[lo]) > d + max(2.0, 0.2 * d):
        return None  # two touching shafts: no edge of this one alone
    left = np.flatnonzero(on[:lo])
    right = np.flatnonzero(on[hi + 1 :]) + hi + 1
    a = t[left[-1]] + 1.0 if len(left) else -np.inf
    b = t[right[0]] - 1.0 if len(right) else np.inf
    need = 0.5 * d + _margin(d) + 3.0
    if a > -need or b < need:
        return None
    return (t >= a) & (t <= b)
