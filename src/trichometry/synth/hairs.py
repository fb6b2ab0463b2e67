"""Draw hair shafts into the image and the targets from one shared geometry.

Each visible hair is rasterised once (:func:`~trichometry.synth.raster.rasterise_shaft`);
its anti-aliased coverage is composited into the image with cylinder shading (darker
rims, lighter core, a specular streak), and its pixel-centre mask writes the targets
(top-most hair wins).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trichometry.synth.patch import HairSpec
from trichometry.synth.raster import ShaftRaster, rasterise_shaft
from trichometry.synth.view import View
from trichometry.truth import HairTruth, Targets

# hair colour (RGB 0-1) along the pigment axis: black, dark brown, brown, blond
_PIGMENT = np.array(
    [[0.07, 0.075, 0.09], [0.17, 0.13, 0.11], [0.36, 0.25, 0.17], [0.70, 0.57, 0.38]],
    dtype=np.float32,
)
_GREY = np.array([0.70, 0.71, 0.73], dtype=np.float32)


def hair_colour(pigment: float, grey: float) -> np.ndarray:
    """Base RGB of a shaft from its pigment (0 black .. 1 blond) and grey (0 .. 1 white)."""
    f = float(np.clip(pigment, 0.0, 1.0)) * 3.0
    i = min(int(f), 2)
    t = f - i
    c = (1 - t) * _PIGMENT[i] + t * _PIGMENT[i + 1]
    return (1 - grey) * c + grey * _GREY


@dataclass
class DrawnHair:
    """A hair placed in one image: its spec and centreline in pixels."""

    spec: HairSpec
    centre_px: np.ndarray


def place_hairs(hairs: list[HairSpec], view: View) -> list[DrawnHair]:
    """Project active hairs into the view, keeping those that touch the frame.

    Returns:
        Hairs in drawing order: clipped hairs first, then long ones (lying on top).
    """
    upp = view.um_per_px
    w, h = view.width, view.height
    out: list[DrawnHair] = []
    for hs in hairs:
        if not hs.active:
            continue
        r_px = hs.diameter_um / 2.0 / upp
        k = abs(hs.curvature_per_mm) / 1000.0
        # straight hairs are one segment; curved ones bend < 0.06 rad per vertex, with
        # segments longer than the diameter so the square tip stays exact
        step_um = hs.length_um if k == 0 else min(hs.length_um, max(0.06 / k, hs.diameter_um + 2 * upp))
        pts = view.skin_to_px(hs.centreline_um(step_um))
        lo, hi = pts.min(axis=0) - r_px - 2, pts.max(axis=0) + r_px + 2
        if hi[0] < -0.5 or hi[1] < -0.5 or lo[0] > w - 0.5 or lo[1] > h - 0.5:
            continue
        out.append(DrawnHair(hs, pts))
    out.sort(key=lambda d: (not d.spec.clipped, d.spec.follicle_id))
    return out


def draw_hairs(
    img: np.ndarray,
    drawn: list[DrawnHair],
    view: View,
    shade: Callable[[np.ndarray, ShaftRaster, HairSpec], None] | None = None,
) -> tuple[list[HairTruth], Targets]:
    """Composite shafts into ``img`` (in place) and build the truth and targets.

    Args:
        img: ``(H, W, 3)`` float32 RGB in [0, 1].
        drawn: from :func:`place_hairs`.
        shade: another style's ``shade(img, raster, spec)`` that blends one shaft into
            the image; None for the standard cylinder shading and peripilar casts.

    Returns:
        ``(hairs, targets)``; hair ids are 1-based in drawing order.
    """
    h, w = img.shape[:2]
    upp = view.um_per_px
    mask = np.zeros((h, w), dtype=np.uint8)
    ids = np.zeros((h, w), dtype=np.int32)
    diam = np.zeros((h, w), dtype=np.float32)
    exit_map = np.zeros((h, w), dtype=np.uint8)
    truths: list[HairTruth] = []
    hid = 0
    for d in drawn:
        hs = d.spec
        taper_end = hs.diameter_um * (1.0 - hs.taper)
        ras = rasterise_shaft(d.centre_px, hs.diameter_um, taper_end, upp, (h, w), tip_zone_um=hs.tip_zone_um)
        ex, ey = float(d.centre_px[0, 0]), float(d.centre_px[0, 1])
        inside = -0.5 <= ex < w - 0.5 and -0.5 <= ey < h - 0.5
        if ras is None and not inside:
            continue
        hid += 1
        truths.append(
            HairTruth(
                hair_id=hid,
                follicle_id=hs.follicle_id,
                unit_id=hs.unit_id,
                exit_xy=(ex, ey),
                centreline=d.centre_px.copy(),
                diameter_um=hs.diameter_um,
                tip_diameter_um=hs.tip_diameter_um,
                length_um=hs.length_um,
                clipped=hs.clipped,
                pigment=hs.pigment if hs.grey == 0 else max(hs.pigment, hs.grey),
            )
        )
        if inside:
            exit_map[math.floor(ey + 0.5), math.floor(ex + 0.5)] += 1  # 2 only if exits share a pixel
        if ras is None:
            continue
        if shade is not None:
            shade(img, ras, hs)
        else:
            _composite(img, ras, hs)
            if hs.cast > 0:
                _draw_cast(img, d.centre_px, hs, upp)
        m = ras.mask
        ym, xm = ras.ys[m], ras.xs[m]
        mask[ym, xm] = 1
        ids[ym, xm] = hid
        diam[ym, xm] = ras.diameter_um[m]
    return truths, Targets(shaft_mask=mask, instance_ids=ids, exit_map=exit_map, diameter_um=diam)


def _composite(img: np.ndarray, ras: ShaftRaster, hs: HairSpec) -> None:
    """Blend one shaft into ``img`` (float32 RGB, in place) on the pixels it touches."""
    base = hair_colour(hs.pigment, hs.grey)
    uu = np.clip(ras.u, -1.0, 1.0)
    depth = np.sqrt(np.maximum(1.0 - uu * uu, 0.0))  # cylinder thickness across the shaft
    light = float(base.mean())
    # darker rims (grazing view through more cortex), lighter core
    tone = 0.85 + 0.3 * ((hs.follicle_id * 0.618034) % 1.0)  # hair-to-hair variation
    shade = (0.6 + 0.4 * depth) * (1.0 + 0.25 * light) * tone
    # specular streak on the lit side; fainter on light hair, bluish white
    spec_str = 0.12 * (1.0 - 0.6 * light) * (0.5 + 0.5 * min(1.0, hs.diameter_um / 60.0))
    spec = spec_str * np.exp(-(((uu + 0.35) / 0.22) ** 2))
    # cuticle / pigment irregularity along the shaft
    phase = (hs.follicle_id * 2.399) % (2 * math.pi)
    s_um = ras.s_um
    along = 1.0 + 0.025 * (
        np.sin(s_um / 37.0 + phase) + np.sin(s_um / 13.3 + 2 * phase) + np.sin(s_um / 91.0 + 3 * phase)
    )
    col = base[None, :] * (shade * along)[:, None] + spec[:, None] * np.array(
        [0.85, 0.9, 1.0], dtype=np.float32
    )
    alpha = (ras.coverage * (0.97 - 0.6 * hs.grey * depth))[:, None]
    px = img[ras.ys, ras.xs]
    img[ras.ys, ras.xs] = px * (1.0 - alpha) + alpha * col.astype(np.float32)


def _draw_cast(img: np.ndarray, centre_px: np.ndarray, hs: HairSpec, upp: float) -> None:
    """A whitish translucent keratin sleeve over the first 50-150 um of the shaft."""
    seg = np.diff(centre_px, axis=0)
    cum = np.r_[0.0, np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))]
    frac = 0.35 + 0.65 * ((hs.follicle_id * 0.7548777) % 1.0)
    reach_px = min((50.0 + 100.0 * frac) / upp, cum[-1])
    if reach_px < 1.0:
        return
    k = int(np.searchsorted(cum, reach_px))
    t = (reach_px - cum[k - 1]) / max(cum[k] - cum[k - 1], 1e-9)
    pts = np.vstack([centre_px[:k], centre_px[k - 1] + t * (centre_px[k] - centre_px[k - 1])])
    sleeve = hs.diameter_um + 30.0
    ras = rasterise_shaft(pts, sleeve, sleeve * 0.8, upp, img.shape[:2])
    if ras is None:
        return
    fade = 1.0 - np.clip(ras.s_um / (reach_px * upp), 0.0, 1.0) ** 2
    ragged = 0.75 + 0.25 * np.sin(ras.s_um / 9.0 + hs.follicle_id) * np.sin(ras.u * 5.0)
    alpha = (hs.cast * ras.coverage * fade * ragged)[:, None]
    col = np.array([0.88, 0.88, 0.86], dtype=np.float32)
    px = img[ras.ys, ras.xs]
    img[ras.ys, ras.xs] = px * (1.0 - alpha) + alpha * col
