"""Skin under the dermoscope: tone, texture, furrows, scale, vessels, halos, openings.

Every feature is placed in the skin frame (um) and keyed to skin position, so the
same patch looks the same in every view. Returns linear-ish RGB floats in ``[0, 1]``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from trichometry.synth.noise import fbm, value_noise
from trichometry.synth.patch import HairSpec, ScalpPatch
from trichometry.synth.view import View

# Skin colour as a 70x polarised dermoscope renders it, Fitzpatrick I..VI (RGB 0-1).
_TONES = np.array(
    [
        [0.80, 0.72, 0.69],
        [0.75, 0.66, 0.60],
        [0.66, 0.57, 0.50],
        [0.56, 0.45, 0.36],
        [0.42, 0.31, 0.24],
        [0.28, 0.20, 0.16],
    ],
    dtype=np.float32,
)


def skin_tone(fitzpatrick: float) -> np.ndarray:
    """RGB in [0, 1] of skin type ``fitzpatrick`` (1-6, interpolated)."""
    f = float(np.clip(fitzpatrick, 1.0, 6.0)) - 1.0
    i = min(int(f), 4)
    t = f - i
    return (1 - t) * _TONES[i] + t * _TONES[i + 1]


def skin_coords(view: View) -> tuple[np.ndarray, np.ndarray]:
    """Skin-frame coordinates (um) of every pixel centre, two ``(H, W)`` float32 arrays."""
    a = math.radians(view.rotation_deg)
    cx, cy = (view.width - 1) / 2.0, (view.height - 1) / 2.0
    xs = (np.arange(view.width, dtype=np.float32) - np.float32(cx)) * np.float32(view.um_per_px)
    ys = (np.arange(view.height, dtype=np.float32) - np.float32(cy)) * np.float32(view.um_per_px)
    ca, sa = np.float32(math.cos(a)), np.float32(math.sin(a))
    sx = view.centre_um[0] + xs[None, :] * ca - ys[:, None] * sa
    sy = view.centre_um[1] + xs[None, :] * sa + ys[:, None] * ca
    return sx.astype(np.float32), sy.astype(np.float32)


def _blur_um(img: np.ndarray, sigma_um: float, um_per_px: float) -> np.ndarray:
    s = sigma_um / um_per_px
    if s < 0.3:
        return img
    return cv2.GaussianBlur(img, (0, 0), s)


def render_skin(patch: ScalpPatch, view: View) -> np.ndarray:
    """Skin background with texture, scale and vessels (no hair-related marks).

    Returns:
        ``(H, W, 3)`` float32 RGB in [0, 1].
    """
    skin = patch.skin
    seed = skin.texture_seed
    upp = view.um_per_px
    sx, sy = skin_coords(view)
    tone = skin_tone(skin.fitzpatrick)
    broad = fbm(sx, sy, (1500.0, 600.0), seed, first_octave=0)
    mid = fbm(sx, sy, (180.0, 70.0), seed, min_spacing_um=upp, first_octave=2)
    fine = fbm(sx, sy, (30.0, 14.0), seed, min_spacing_um=1.5 * upp, first_octave=4)
    lum = 1.0 + 0.05 * broad + 0.035 * mid + 0.05 * fine
    # skin furrows: thin network where a ridged noise crosses zero
    ridge = value_noise(sx, sy, 260.0, seed, octave=8) + 0.35 * value_noise(sx, sy, 90.0, seed, octave=9)
    furrow = np.exp(-((ridge / 0.05) ** 2)).astype(np.float32)
    furrow = _blur_um(furrow, 4.0, upp)
    lum -= 0.07 * furrow
    img = tone[None, None, :] * lum[..., None]
    # diffuse erythema
    red = np.clip(0.5 + 0.5 * broad, 0, 1) * skin.redness
    img *= 1.0 - 0.12 * red[..., None] * np.array([0.0, 0.6, 0.4], dtype=np.float32)
    # whitish cornified scaling: a bright, slightly blue veil where mid+fine noise is high
    scal = np.clip((mid + 0.6 * fine - 0.05) * 2.2, 0.0, 1.0) * (0.35 + 0.3 * (broad + 1))
    scal = scal.astype(np.float32)
    white = np.array([0.93, 0.93, 0.96], dtype=np.float32)
    img += (white - img) * (0.45 * scal)[..., None]
    _draw_vessels(img, patch, view)
    _draw_flakes(img, patch, view)
    return img.astype(np.float32)


def _draw_vessels(img: np.ndarray, patch: ScalpPatch, view: View) -> None:
    if not patch.skin.vessels:
        return
    layer = np.zeros(img.shape[:2], dtype=np.float32)
    t = max(1, round(18.0 / view.um_per_px))
    for poly in patch.skin.vessels:
        p = view.skin_to_px(poly)
        cv2.polylines(layer, [np.round(p * 16).astype(np.int32)], False, 1.0, t, cv2.LINE_AA, shift=4)
    layer = _blur_um(layer, 8.0, view.um_per_px)
    img *= 1.0 - 0.35 * layer[..., None] * np.array([0.1, 0.7, 0.6], dtype=np.float32)


def _draw_flakes(img: np.ndarray, patch: ScalpPatch, view: View) -> None:
    flakes = patch.skin.dandruff
    if len(flakes) == 0:
        return
    rng = np.random.default_rng(patch.skin.texture_seed + 17)  # persistent flake shapes
    angles = rng.uniform(0, 180, len(flakes))
    aspect = rng.uniform(0.3, 1.0, len(flakes))
    opac = rng.uniform(0.35, 0.85, len(flakes))
    centres = view.skin_to_px(flakes[:, :2])
    layer = np.zeros(img.shape[:2], dtype=np.float32)
    h, w = layer.shape
    for (x, y), r_um, ang, asp, op in zip(centres, flakes[:, 2], angles, aspect, opac):
        r = r_um / view.um_per_px
        if x < -r or y < -r or x > w + r or y > h + r:
            continue
        axes = (max(1, round(r)), max(1, round(r * asp)))
        cv2.ellipse(
            layer,
            (round(x), round(y)),
            axes,
            float(ang - view.rotation_deg),
            0,
            360,
            float(op),
            -1,
            cv2.LINE_AA,
        )
    layer = _blur_um(layer, 5.0, view.um_per_px)
    col = np.array([0.95, 0.94, 0.88], dtype=np.float32)
    img += (col - img) * layer[..., None]


def draw_follicle_marks(img: np.ndarray, patch: ScalpPatch, view: View, hairs: list[HairSpec]) -> None:
    """Perifollicular halos, the subsurface part of each shaft, and openings (in place).

    Args:
        img: ``(H, W, 3)`` float32 skin image.
        hairs: the hairs near the view (dormant ones draw an empty opening).
    """
    upp = view.um_per_px
    h, w = img.shape[:2]
    halo = np.zeros((h, w), dtype=np.float32)
    sub = np.zeros((h, w), dtype=np.float32)
    opening = np.zeros((h, w), dtype=np.float32)
    strength = patch.skin.halo_strength
    seen_units: set[int] = set()
    for hs in hairs:
        ex, ey = view.skin_to_px(np.array(hs.exit_um))
        if not (-200 < ex < w + 200 and -200 < ey < h + 200):
            continue
        ang = math.radians(view.angle_to_px(hs.direction_deg))
        if hs.unit_id not in seen_units:
            seen_units.add(hs.unit_id)
            r = (90.0 + 1.2 * hs.diameter_um) / upp
            back = 0.6 * r
            c = (ex - back * math.cos(ang), ey - back * math.sin(ang))
            cv2.ellipse(
                halo, (round(c[0] * 4), round(c[1] * 4)), (max(1, round(r * 6)), max(1, round(r * 3.5))),
                math.degrees(ang), 0, 360, 1.0, -1, cv2.LINE_AA, shift=2,
            )  # fmt: skip
            orad = max(1, round(0.7 * hs.diameter_um / upp + 12.0 / upp))
            cv2.circle(opening, (round(ex * 4), round(ey * 4)), orad * 4, 1.0, -1, cv2.LINE_AA, shift=2)
        if hs.active:
            depth = (250.0 + 3.0 * hs.diameter_um) / upp
            thick = max(1, round(hs.diameter_um / upp))
            for k, f in enumerate((1.0, 0.7, 0.45, 0.25)):
                a0, a1 = depth * k / 4, depth * (k + 1) / 4
                p0 = (ex - a0 * math.cos(ang), ey - a0 * math.sin(ang))
                p1 = (ex - a1 * math.cos(ang), ey - a1 * math.sin(ang))
                cv2.line(
                    sub, (round(p0[0] * 4), round(p0[1] * 4)), (round(p1[0] * 4), round(p1[1] * 4)),
                    f, thick, cv2.LINE_AA, shift=2,
                )  # fmt: skip
    halo = _blur_um(halo, 60.0, upp)
    sub = _blur_um(sub, 14.0, upp)
    opening = _blur_um(opening, 6.0, upp)
    blue_grey = np.array([0.50, 0.58, 0.72], dtype=np.float32)
    dark = np.array([0.35, 0.38, 0.48], dtype=np.float32)
    img *= 1.0 - (0.35 * strength * halo)[..., None] * (1.0 - blue_grey)
    img *= 1.0 - (0.75 * (0.3 + 0.7 * strength) * sub)[..., None] * (1.0 - dark)
    img *= 1.0 - 0.18 * opening[..., None]
