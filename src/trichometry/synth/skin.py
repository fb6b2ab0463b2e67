"""Skin under the dermoscope: tone, texture, furrows, scale, vessels, halos, openings.

Every feature is placed in the skin frame (um) and keyed to skin position, so the
same patch looks the same in every view. Returns linear-ish RGB floats in ``[0, 1]``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from trichometry.synth.noise import _hash01, fbm
from trichometry.synth.patch import HairSpec, ScalpPatch
from trichometry.synth.view import View

# Skin colour as a 70x polarised dermoscope renders it, Fitzpatrick I..VI (RGB 0-1).
_TONES = np.array(
    [
        [0.66, 0.62, 0.61],
        [0.63, 0.58, 0.55],
        [0.58, 0.52, 0.48],
        [0.49, 0.41, 0.35],
        [0.37, 0.29, 0.23],
        [0.26, 0.19, 0.15],
    ],
    dtype=np.float32,
)


def skin_tone(fitzpatrick: float) -> np.ndarray:
    """RGB in [0, 1] of skin type ``fitzpatrick`` (1-6, interpolated)."""
    f = float(np.clip(fitzpatrick, 1.0, 6.0)) - 1.0
    i = min(int(f), 4)
    t = f - i
    return (1 - t) * _TONES[i] + t * _TONES[i + 1]


def skin_coords(view: View, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Skin-frame coordinates (um) of pixel centres, two float32 arrays.

    Args:
        step: 1 for every pixel ``(H, W)``; ``f > 1`` for a grid reduced by ``f`` of
            shape ``(ceil(H/f), ceil(W/f))`` whose cell k covers pixels
            ``[k f, (k+1) f)`` (so ``cv2.resize`` by exactly ``f`` restores alignment).
    """
    a = math.radians(view.rotation_deg)
    cx, cy = (view.width - 1) / 2.0, (view.height - 1) / 2.0
    f = int(step)
    nx, ny = -(-view.width // f), -(-view.height // f)
    px = np.arange(nx, dtype=np.float64) * f + (f - 1) / 2.0
    py = np.arange(ny, dtype=np.float64) * f + (f - 1) / 2.0
    xs = ((px - cx) * view.um_per_px).astype(np.float32)
    ys = ((py - cy) * view.um_per_px).astype(np.float32)
    ca, sa = np.float32(math.cos(a)), np.float32(math.sin(a))
    sx = np.float32(view.centre_um[0]) + xs[None, :] * ca - ys[:, None] * sa
    sy = np.float32(view.centre_um[1]) + xs[None, :] * sa + ys[:, None] * ca
    return sx.astype(np.float32), sy.astype(np.float32)


def noise_field(
    view: View,
    spacings_um: tuple[float, ...],
    seed: int,
    first_octave: int,
    min_spacing_um: float = 0.0,
    stretch: float = 1.0,
    angle_deg: float = 0.0,
) -> np.ndarray:
    """:func:`fbm` over the view's pixels, computed on a reduced grid when it is smooth.

    The grid is reduced so the finest used octave keeps at least 4 samples per
    lattice cell, then enlarged bilinearly; the field stays keyed to skin position.
    ``stretch > 1`` elongates features ``stretch`` times along ``angle_deg`` (skin
    frame), for fibrous texture.

    Returns:
        ``(H, W)`` float32.
    """
    used = [sp for sp in spacings_um if sp >= min_spacing_um] or [max(spacings_um)]
    f = int(np.clip(min(used) / (4.0 * view.um_per_px), 1, 16))
    sx, sy = skin_coords(view, f)
    if stretch != 1.0:
        a = math.radians(angle_deg)
        ca, sa = np.float32(math.cos(a)), np.float32(math.sin(a))
        sx, sy = (sx * ca + sy * sa) / np.float32(stretch), -sx * sa + sy * ca
    field = fbm(sx, sy, spacings_um, seed, min_spacing_um=min_spacing_um, first_octave=first_octave)
    if f == 1:
        return field
    big = cv2.resize(field, (field.shape[1] * f, field.shape[0] * f), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(big[: view.height, : view.width])


def soft_blur(img: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur; wide ones run on a reduced copy (same look, a fraction of the cost)."""
    if sigma_px < 0.3:
        return img
    if sigma_px <= 6.0:
        return cv2.GaussianBlur(img, (0, 0), sigma_px)
    h, w = img.shape[:2]
    f = sigma_px / 3.0
    small = cv2.resize(img, (max(1, round(w / f)), max(1, round(h / f))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma_px / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _blur_um(img: np.ndarray, sigma_um: float, um_per_px: float) -> np.ndarray:
    return soft_blur(img, sigma_um / um_per_px)


def render_skin(patch: ScalpPatch, view: View) -> np.ndarray:
    """Skin background with texture, scale and vessels (no hair-related marks).

    Returns:
        ``(H, W, 3)`` float32 RGB in [0, 1].
    """
    skin = patch.skin
    seed = skin.texture_seed
    upp = view.um_per_px
    tone = skin_tone(skin.fitzpatrick)
    broad = noise_field(view, (1500.0, 600.0), seed, first_octave=0)
    mid = noise_field(view, (180.0, 70.0), seed, first_octave=2, min_spacing_um=upp)
    fine = noise_field(view, (28.0, 12.0, 6.0), seed, first_octave=4, min_spacing_um=1.5 * upp)
    # fibrous cornified relief: fine noise stretched along a direction of the patch
    fibre_deg = float(seed % 180)
    fibre = noise_field(
        view, (40.0, 16.0), seed, first_octave=10, min_spacing_um=1.5 * upp, stretch=4.0, angle_deg=fibre_deg
    )
    lum = 1.0 + 0.045 * broad + 0.025 * mid + 0.015 * fine + 0.03 * fibre
    # skin lines: a polygonal network (the edges of Voronoi cells), main and minor
    lines = _skin_lines(view, seed, 420.0, 1.0) + _skin_lines(view, seed + 1, 160.0, 0.3)
    depth = np.float32(skin.furrows) * np.clip(0.7 + 0.6 * mid, 0.3, 1.0)
    lum -= depth * (0.065 * _blur_um(lines, 7.0, upp) - 0.025 * _blur_um(lines, 16.0, upp))
    # diffuse erythema (takes green and blue)
    red = np.clip(0.5 + 0.5 * broad, 0, 1) * np.float32(0.12 * skin.redness)
    # whitish cornified scaling: a bright, slightly blue veil, thicker in broad areas ...
    veil = np.clip(0.6 + 0.5 * broad + 0.2 * mid, 0.0, 1.0)
    grain = np.clip(0.5 + 0.5 * fine + 0.6 * fibre, 0.0, 1.0)
    scal = np.float32(skin.scaling) * veil * (0.6 + 0.4 * grain)
    # ... with glossy blue-white glints where the fine relief catches the light
    patches = np.clip((0.6 * broad + mid) * 2.0, 0.0, 1.0)
    gloss = np.clip((fine + 0.5 * fibre - 0.3) * 2.5, 0.0, 1.0) * patches
    gloss = np.clip(_blur_um((skin.scaling * 0.5 * gloss).astype(np.float32), 3.0, upp), 0.0, 0.85)
    white = (0.86, 0.87, 0.90)
    sparkle = (0.86, 0.88, 1.0)
    # compose per channel: skin -> veil -> sparkle (single-channel arithmetic is cheaper)
    base = lum * (1.0 - scal) * (1.0 - gloss)
    veil_w = scal * (1.0 - gloss)
    img = np.empty((view.height, view.width, 3), dtype=np.float32)
    for c, k_red in enumerate((0.0, 0.6, 0.4)):
        ch = base * np.float32(tone[c])
        if k_red:
            ch *= 1.0 - red * np.float32(k_red)
        img[..., c] = ch + veil_w * np.float32(white[c]) + gloss * np.float32(sparkle[c])
    _draw_vessels(img, patch, view)
    _draw_flakes(img, patch, view)
    return img


def _skin_lines(view: View, seed: int, spacing_um: float, weight: float) -> np.ndarray:
    """Edges of the Voronoi cells of one seed point per ``spacing_um`` lattice cell.

    The points are keyed to skin position (hashed lattice), so the network is the same
    in every view. Lines are about 16 um wide.

    Returns:
        ``(H, W)`` float32 in [0, weight].
    """
    h, w = view.height, view.width
    corners = view.px_to_skin(np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], dtype=float))
    i0, j0 = np.floor(corners.min(axis=0) / spacing_um).astype(int) - 2
    i1, j1 = np.ceil(corners.max(axis=0) / spacing_um).astype(int) + 2
    ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
    ii, jj = ii.ravel() + (1 << 20), jj.ravel() + (1 << 20)
    jx = (_hash01(seed, 21, ii, jj) + 1.0) / 2.0
    jy = (_hash01(seed, 22, ii, jj) + 1.0) / 2.0
    skin_pts = np.column_stack([(ii - (1 << 20) + 0.15 + 0.7 * jx), (jj - (1 << 20) + 0.15 + 0.7 * jy)])
    px = view.skin_to_px(skin_pts * spacing_um)
    margin = 2.5 * spacing_um / view.um_per_px
    rect = (int(-margin), int(-margin), int(w + 2 * margin), int(h + 2 * margin))
    ok = in_subdiv_rect(px, rect)
    layer = np.zeros((h, w), dtype=np.float32)
    if ok.sum() < 3:
        return layer
    subdiv = cv2.Subdiv2D(rect)
    inside = px[ok]
    subdiv.insert([(float(x), float(y)) for x, y in inside])
    # only the cells of points near the frame can draw into it (ids start at 4)
    cell = spacing_um / view.um_per_px
    show = np.flatnonzero(
        (inside[:, 0] > -cell)
        & (inside[:, 1] > -cell)
        & (inside[:, 0] < w + cell)
        & (inside[:, 1] < h + cell)
    )
    facets, _ = subdiv.getVoronoiFacetList([int(i) + 4 for i in show])
    polys = [np.round(np.asarray(f) * 4).astype(np.int32) for f in facets]
    t = max(1, round(16.0 / view.um_per_px))
    cv2.polylines(layer, polys, True, float(weight), t, cv2.LINE_AA, shift=2)
    return layer


def in_subdiv_rect(px: np.ndarray, rect: tuple[int, int, int, int]) -> np.ndarray:
    """``(N,)`` bool: points ``cv2.Subdiv2D(rect)`` accepts (strictly inside, as in the rest
    of this module), judged also after the float32 rounding OpenCV applies: a point just
    below the far edge in float64 can round onto it and make ``insert`` raise."""
    lo = np.array(rect[:2], dtype=np.float64)
    hi = lo + np.array(rect[2:], dtype=np.float64)
    px32 = px.astype(np.float32).astype(np.float64)
    return np.all((px > lo) & (px < hi) & (px32 < hi), axis=1)


def _draw_vessels(img: np.ndarray, patch: ScalpPatch, view: View) -> None:
    """Thin reddish vessels, drawn only in the box around those in view."""
    if not patch.skin.vessels:
        return
    h, w = img.shape[:2]
    lens = [len(v) for v in patch.skin.vessels]
    allp = view.skin_to_px(np.concatenate(patch.skin.vessels, axis=0))
    near = [p for p in np.split(allp, np.cumsum(lens)[:-1]) if _touches(p, w, h, 5.0)]
    if not near:
        return
    t = max(1, round(12.0 / view.um_per_px))
    margin = t + 3.0 * 8.0 / view.um_per_px + 2
    pts = np.concatenate(near, axis=0)
    x0, y0 = max(int(pts[:, 0].min() - margin), 0), max(int(pts[:, 1].min() - margin), 0)
    x1, y1 = min(int(pts[:, 0].max() + margin) + 1, w), min(int(pts[:, 1].max() + margin) + 1, h)
    layer = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    shifted = [np.round((p - (x0, y0)) * 16).astype(np.int32) for p in near]
    cv2.polylines(layer, shifted, False, 1.0, t, cv2.LINE_AA, shift=4)
    layer = _blur_um(layer, 8.0, view.um_per_px)
    roi = img[y0:y1, x0:x1]
    roi *= 1.0 - 0.18 * layer[..., None] * np.array([0.05, 0.7, 0.55], dtype=np.float32)


def _touches(p: np.ndarray, w: int, h: int, margin: float) -> bool:
    """Whether the points' box overlaps the ``w`` x ``h`` frame grown by ``margin``."""
    return not (
        p[:, 0].max() < -margin
        or p[:, 1].max() < -margin
        or p[:, 0].min() > w + margin
        or p[:, 1].min() > h + margin
    )


def _draw_flakes(img: np.ndarray, patch: ScalpPatch, view: View) -> None:
    """Whitish scale flakes: jagged polygons keyed to the patch, drawn where in view."""
    flakes = patch.skin.dandruff
    if len(flakes) == 0:
        return
    k = len(flakes)
    rng = np.random.default_rng(patch.skin.texture_seed + 17)  # persistent flake shapes
    angles = rng.uniform(0, 180, k)
    aspect = rng.uniform(0.3, 1.0, k)
    opac = rng.uniform(0.2, 0.5, k)
    n_v = 9
    rad_f = rng.uniform(0.45, 1.0, (k, n_v))
    phi = 2 * np.pi * (np.arange(n_v) + rng.uniform(-0.3, 0.3, (k, n_v))) / n_v
    centres = view.skin_to_px(flakes[:, :2])
    layer = np.zeros(img.shape[:2], dtype=np.float32)
    h, w = layer.shape
    r_px = flakes[:, 2] / view.um_per_px
    near = np.flatnonzero(
        (centres[:, 0] > -2 * r_px) & (centres[:, 1] > -2 * r_px)
        & (centres[:, 0] < w + 2 * r_px) & (centres[:, 1] < h + 2 * r_px) & (r_px >= 0.7)
    )  # fmt: skip
    if len(near) == 0:
        return
    # polygon in the flake's own frame, turned by its angle in the skin, then into the view
    lx = r_px[near, None] * rad_f[near] * np.cos(phi[near])
    ly = r_px[near, None] * rad_f[near] * aspect[near, None] * np.sin(phi[near])
    rot = np.radians(angles[near] - view.rotation_deg)[:, None]
    px = centres[near, 0, None] + lx * np.cos(rot) - ly * np.sin(rot)
    py = centres[near, 1, None] + lx * np.sin(rot) + ly * np.cos(rot)
    polys = np.round(np.stack([px, py], axis=-1) * 4).astype(np.int32)
    for poly, op in zip(polys, opac[near]):
        cv2.fillPoly(layer, [poly], float(op), cv2.LINE_AA, shift=2)
    layer = _blur_um(layer, 7.0, view.um_per_px)
    col = np.array([0.93, 0.93, 0.90], dtype=np.float32)
    img += (col - img) * layer[..., None]


def draw_follicle_marks(img: np.ndarray, patch: ScalpPatch, view: View, hairs: list[HairSpec]) -> None:
    """Perifollicular halos, the subsurface part of each shaft, and openings (in place).

    Args:
        img: ``(H, W, 3)`` float32 skin image.
        hairs: the hairs near the view (dormant ones draw an empty opening).
    """
    upp = view.um_per_px
    h, w = img.shape[:2]
    # the marks are soft, so draw them on grids reduced by fh / fs and enlarge
    fh = int(np.clip(60.0 / upp / 4.0, 1, 8))
    fs = int(np.clip(18.0 / upp / 3.0, 1, 4))
    halo = np.zeros((-(-h // fh), -(-w // fh)), dtype=np.float32)
    sub = np.zeros((-(-h // fs), -(-w // fs)), dtype=np.float32)
    opening = np.zeros((h, w), dtype=np.float32)
    strength = patch.skin.halo_strength
    seen_units: set[int] = set()

    def q(x: float, y: float, f: int) -> tuple[int, int]:  # pixel -> reduced grid, 1/4 px fixed point
        return round((x - (f - 1) / 2) / f * 4), round((y - (f - 1) / 2) / f * 4)

    for hs in hairs:
        ex, ey = view.skin_to_px(np.array(hs.exit_um))
        if not (-200 < ex < w + 200 and -200 < ey < h + 200):
            continue
        ang = math.radians(view.angle_to_px(hs.direction_deg))
        ca, sa = math.cos(ang), math.sin(ang)
        if hs.unit_id not in seen_units:
            seen_units.add(hs.unit_id)
            r = (70.0 + 1.0 * hs.diameter_um) / upp
            c = q(ex - 0.6 * r * ca, ey - 0.6 * r * sa, fh)
            axes = (max(1, round(r * 6 / fh)), max(1, round(r * 3.5 / fh)))
            cv2.ellipse(halo, c, axes, math.degrees(ang), 0, 360, 1.0, -1, cv2.LINE_AA, shift=2)
            orad = max(1, round(0.7 * hs.diameter_um / upp + 12.0 / upp))
            cv2.circle(opening, (round(ex * 4), round(ey * 4)), orad * 4, 1.0, -1, cv2.LINE_AA, shift=2)
        if hs.active:
            depth = (110.0 + 1.6 * hs.diameter_um) / upp
            thick = max(1, round(hs.diameter_um / upp / fs))
            for k, f in enumerate((1.0, 0.7, 0.45, 0.25)):
                a0, a1 = depth * k / 4, depth * (k + 1) / 4
                p0 = q(ex - a0 * ca, ey - a0 * sa, fs)
                p1 = q(ex - a1 * ca, ey - a1 * sa, fs)
                cv2.line(sub, p0, p1, f, thick, cv2.LINE_AA, shift=2)
    halo = _enlarge(soft_blur(halo, 60.0 / upp / fh), fh, h, w)
    sub = _enlarge(soft_blur(sub, 18.0 / upp / fs), fs, h, w)
    opening = _blur_um(opening, 6.0, upp)
    # subsurface melanin reads blue-grey through the epidermis (Tyndall effect)
    blue_grey = (0.62, 0.70, 0.86)
    sub_col = (0.30, 0.40, 0.62)
    a_halo = np.float32(0.5 * strength) * halo
    a_sub = np.float32(0.8 * (0.3 + 0.7 * strength)) * np.clip(sub, 0.0, 1.0)
    a_open = 1.0 - np.float32(0.12) * opening
    for c in range(3):
        img[..., c] *= (
            (1.0 - a_halo * np.float32(1.0 - blue_grey[c]))
            * (1.0 - a_sub * np.float32(1.0 - sub_col[c]))
            * a_open
        )


def _enlarge(a: np.ndarray, f: int, h: int, w: int) -> np.ndarray:
    """Enlarge a grid reduced by ``f`` (cell k covers pixels [k f, (k+1) f)) to ``(h, w)``."""
    if f == 1:
        return a
    big = cv2.resize(a, (a.shape[1] * f, a.shape[0] * f), interpolation=cv2.INTER_LINEAR)
    return big[:h, :w]
