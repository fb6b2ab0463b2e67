"""Skin, roots and light of the held-out rendering style (evaluation only, never training).

A second look for the same scenes, so a detector trained on the standard renderer can
be checked for finding hairs rather than that renderer's cues (a style-shift check).
Where the standard style (:mod:`trichometry.synth.skin`) shows a grey-pink polarised
view with a polygonal furrow network, a whitish scaling veil with blue-white glints,
and a blue-grey halo plus the subsurface shaft at every exit, this style shows:

* skin: a warmer, more saturated peach-pink colour family; smooth, with a fine
  isotropic grain instead of fibrous relief; faint crosshatched skin lines (two
  families of nearly parallel, wavy lines) instead of Voronoi cells; yellowish sebum /
  scale patches and soft yellow-white flakes; thin unblurred red vessels;
* roots: no halo and no subsurface shaft; a small dark brown follicular ostium around
  each root, a little behind it (also at empty openings), in a faint pale pink zone;
* light: warm white LEDs with a ring-light fall-off (flat bright centre, smooth
  darkening and warming towards the edges) on top of the camera's own lighting.

Every feature is keyed to skin position or to the patch, as in the standard style, so
one patch looks the same in every view. The hairs of this style are drawn by
:mod:`trichometry.synth.style_heldout_hairs`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from trichometry.synth.patch import HairSpec, ScalpPatch
from trichometry.synth.skin import noise_field, skin_coords, soft_blur
from trichometry.synth.view import View

_SEED_SHIFT = 7919  # this style's noise fields differ from the standard style's

# Skin colour, Fitzpatrick I..VI (RGB 0-1): warmer and more saturated than the standard's
_TONES = np.array(
    [
        [0.78, 0.66, 0.62],
        [0.74, 0.61, 0.54],
        [0.67, 0.53, 0.45],
        [0.56, 0.43, 0.34],
        [0.42, 0.31, 0.24],
        [0.29, 0.21, 0.16],
    ],
    dtype=np.float32,
)
_OSTIUM = np.array([0.30, 0.20, 0.16], dtype=np.float32)  # what a full-strength ostium leaves of the skin
_PALE = np.array([0.95, 0.83, 0.81], dtype=np.float32)  # pale pink perifollicular zone
_SEBUM = np.array([0.92, 0.84, 0.58], dtype=np.float32)


def skin_tone(fitzpatrick: float) -> np.ndarray:
    """RGB in [0, 1] of skin type ``fitzpatrick`` (1-6, interpolated) in this style."""
    f = float(np.clip(fitzpatrick, 1.0, 6.0)) - 1.0
    i = min(int(f), 4)
    t = f - i
    return (1 - t) * _TONES[i] + t * _TONES[i + 1]


def render_skin(patch: ScalpPatch, view: View) -> np.ndarray:
    """Skin background of the held-out style (no hair-related marks).

    Returns:
        ``(H, W, 3)`` float32 RGB in [0, 1].
    """
    skin = patch.skin
    seed = skin.texture_seed + _SEED_SHIFT
    upp = view.um_per_px
    broad = noise_field(view, (900.0, 350.0), seed, first_octave=0)
    grain = noise_field(view, (10.0, 5.0), seed, first_octave=4, min_spacing_um=upp)
    lum = 1.0 + 0.035 * broad + 0.045 * grain
    lum -= np.float32(0.07 * skin.furrows) * _crosshatch(view, seed)
    # pinkish blotches (erythema) and yellowish sebum / scale where the broad field is high
    blotch = np.clip(0.5 + 0.7 * noise_field(view, (500.0,), seed, first_octave=6), 0.0, 1.0)
    red = np.float32(0.10 * skin.redness) * blotch
    sebum = np.float32(0.45 * skin.scaling) * np.clip(broad - 0.1, 0.0, 1.0) ** 2
    tone = skin_tone(skin.fitzpatrick)
    img = np.empty((view.height, view.width, 3), dtype=np.float32)
    for c, k_red in enumerate((0.0, 0.7, 0.5)):
        ch = lum * np.float32(tone[c]) * (1.0 - red * np.float32(k_red))
        img[..., c] = ch + (np.float32(_SEBUM[c]) - ch) * sebum
    _draw_vessels(img, patch, view)
    _draw_flakes(img, patch, view)
    return img


def _crosshatch(view: View, seed: int) -> np.ndarray:
    """Two families of thin, wavy, nearly parallel skin lines crossing at 55-75 degrees.

    Returns:
        ``(H, W)`` float32 in [0, 1], about 1 on a line.
    """
    sx, sy = skin_coords(view)
    a0 = math.radians(seed % 180)
    a1 = a0 + math.radians(55.0 + 20.0 * ((seed * 0.618034) % 1.0))
    half_w = max(5.0, 0.6 * view.um_per_px)  # um; at least about a pixel
    out = np.zeros(sx.shape, dtype=np.float32)
    for k, (a, period) in enumerate(((a0, 230.0), (a1, 310.0))):
        warp = noise_field(view, (700.0, 260.0), seed + 11 * (k + 1), first_octave=0)
        t = (sx * np.float32(math.cos(a)) + sy * np.float32(math.sin(a))) / np.float32(period)
        t += np.float32(0.45) * warp
        d_um = np.abs(t - np.round(t)) * np.float32(period)
        fade = np.clip(0.5 + 0.9 * noise_field(view, (600.0,), seed + 5 * (k + 1), first_octave=3), 0.0, 1.0)
        out += np.exp(-((d_um / np.float32(half_w)) ** 2)) * fade * np.float32(5.0 / half_w)
    return np.clip(out, 0.0, 1.0)


def _draw_vessels(img: np.ndarray, patch: ScalpPatch, view: View) -> None:
    """Thin red vessels, sharp (the standard style blurs them)."""
    if not patch.skin.vessels:
        return
    layer = np.zeros(img.shape[:2], dtype=np.float32)
    t = max(1, round(8.0 / view.um_per_px))
    polys = [np.round(view.skin_to_px(v) * 16).astype(np.int32) for v in patch.skin.vessels]
    cv2.polylines(layer, polys, False, 1.0, t, cv2.LINE_AA, shift=4)
    img *= 1.0 - 0.22 * layer[..., None] * np.array([0.0, 0.75, 0.6], dtype=np.float32)


def _draw_flakes(img: np.ndarray, patch: ScalpPatch, view: View) -> None:
    """Soft yellow-white scale flakes (ellipses) at the patch's flake positions."""
    flakes = patch.skin.dandruff
    if len(flakes) == 0:
        return
    h, w = img.shape[:2]
    centres = view.skin_to_px(flakes[:, :2])
    r_px = flakes[:, 2] / view.um_per_px
    near = np.flatnonzero(
        (centres[:, 0] > -2 * r_px) & (centres[:, 1] > -2 * r_px)
        & (centres[:, 0] < w + 2 * r_px) & (centres[:, 1] < h + 2 * r_px) & (r_px >= 0.7)
    )  # fmt: skip
    if len(near) == 0:
        return
    layer = np.zeros((h, w), dtype=np.float32)
    for k in near:
        u = (patch.skin.texture_seed + 31 * int(k)) * 0.618034 % 1.0
        axes = (max(1, round(r_px[k] * 4)), max(1, round(r_px[k] * (0.4 + 0.5 * u) * 4)))
        c = (round(centres[k, 0] * 4), round(centres[k, 1] * 4))
        cv2.ellipse(layer, c, axes, 180.0 * u, 0, 360, 0.12 + 0.18 * u, -1, cv2.LINE_AA, shift=2)
    layer = soft_blur(layer, 4.0 / view.um_per_px)
    img += (np.array([0.93, 0.88, 0.68], dtype=np.float32) - img) * layer[..., None]


def draw_root_marks(img: np.ndarray, patch: ScalpPatch, view: View, hairs: list[HairSpec]) -> None:
    """A dark follicular ostium around each root, in a faint pale zone (in place).

    Args:
        img: ``(H, W, 3)`` float32 skin image.
        hairs: the hairs near the view (dormant ones mark an empty opening).
    """
    upp = view.um_per_px
    h, w = img.shape[:2]
    units: dict[int, list[HairSpec]] = {}
    for hs in hairs:
        units.setdefault(hs.unit_id, []).append(hs)
    dots = np.zeros((h, w), dtype=np.float32)
    pale = np.zeros((h, w), dtype=np.float32)
    openings: list[tuple[np.ndarray, float, float]] = []
    for uid, hs_list in units.items():
        exits = view.skin_to_px(np.array([hs.exit_um for hs in hs_list], dtype=float))
        centre = exits.mean(axis=0)
        spread = float(np.hypot(*(exits - centre).T).max())
        reach = spread + 80.0 / upp
        if not (-reach < centre[0] < w + reach and -reach < centre[1] < h + reach):
            continue
        u = (uid * 0.618034) % 1.0
        strength = (0.35 + 0.35 * u) * (1.0 if any(hs.active for hs in hs_list) else 0.7)
        for hs, e in zip(hs_list, exits):  # the opening just around the root, a little behind it
            r_pale = (0.5 * hs.diameter_um + 24.0) / upp
            cv2.circle(pale, _q(e), round(r_pale * 4), 1.0, -1, cv2.LINE_AA, shift=2)
            r = (0.5 * hs.diameter_um + 6.0) / upp
            ang = math.radians(view.angle_to_px(hs.direction_deg))
            openings.append((e - 0.3 * r * np.array([math.cos(ang), math.sin(ang)]), r, strength))
    for f, v in ((1.0, 0.45), (0.75, 0.75), (0.5, 1.0)):  # darkest in the middle
        for c, r, strength in openings:
            cv2.circle(dots, _q(c), max(1, round(f * r * 4)), float(strength * v), -1, cv2.LINE_AA, shift=2)
    pale = soft_blur(pale, 12.0 / upp)
    dots = soft_blur(dots, 4.0 / upp)
    img += (_PALE - img) * (0.12 * pale)[..., None]
    img *= 1.0 - dots[..., None] * (1.0 - _OSTIUM)


def _q(xy: np.ndarray) -> tuple[int, int]:
    """Pixel point to OpenCV's 1/4-pixel fixed point (``shift=2``)."""
    return round(float(xy[0]) * 4), round(float(xy[1]) * 4)


def relight(img: np.ndarray, patch: ScalpPatch, view: View) -> None:
    """Warm ring light: flat bright centre, darker and warmer towards the edges (in place).

    Applied after the hairs and before the camera's lighting, so it lights them too.
    """
    h, w = img.shape[:2]
    rng = np.random.default_rng([patch.skin.texture_seed, 0x119])
    strength = float(rng.uniform(0.18, 0.38))
    r0 = float(rng.uniform(0.35, 0.55))
    half_diag = 0.5 * math.hypot(w, h)
    xs = (np.arange(w, dtype=np.float32) - (w - 1) / 2) / np.float32(half_diag)
    ys = (np.arange(h, dtype=np.float32) - (h - 1) / 2) / np.float32(half_diag)
    r = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2)
    t = np.clip((r - r0) / (1.02 - r0), 0.0, 1.0)
    fall = np.float32(strength) * t * t * (3.0 - 2.0 * t)
    warm = float(rng.uniform(0.04, 0.1))  # warm white LEDs
    for c, (k, tint) in enumerate(((0.75, 1.0 + warm), (1.0, 1.0), (1.3, 1.0 - 1.2 * warm))):
        img[..., c] *= (1.0 - np.float32(k) * fall) * np.float32(tint)  # blue falls off fastest
