"""Hairs of the held-out rendering style: their lengths and directions, and their shading.

The held-out style (``SceneRanges(style="heldout")``, evaluation only, never training)
draws the same kind of scene as the standard renderer but differs in what a detector
could overfit to. This module holds the hair part:

* :func:`restyle_hairs` (patch level, called by ``sample_patch``): clipped hairs get a
  log-normal length around 60 % of the clipper length with 12 % short stubs (the
  standard style: 45-100 % of it, uniform); 0.5-2 % of them become long, curved,
  uncut hairs that cross the field; the hairs of a follicular unit fan out in a V
  instead of running parallel. Exit points, diameters and counts are unchanged, so a
  scene keeps its follicle map and only the shafts differ. All draws come from their own
  generator, so the standard style's random numbers are untouched.
* :func:`shade_shaft` (image level, called by ``draw_hairs``): a translucent
  absorbing shaft (Beer-Lambert: darkest along the middle, where it is thickest, and
  see-through towards its soft edges), flat warm colour, no specular streak, pigment
  granules along it, and a root that emerges veiled over its first 15-35 um. The standard
  style lights a cylinder: lighter core, darker rims and a bluish specular streak.

The ground truth is the geometry's, so it stays exact: the shaft mask, diameters and
exits come from the same rasterisation as in the standard style.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from trichometry.synth.noise import _hash01
from trichometry.synth.raster import ShaftRaster

if TYPE_CHECKING:
    from trichometry.synth.patch import HairSpec
    from trichometry.synth.ranges import SceneRanges

_STREAM = 0x4E1D0  # this style's own random stream, keyed to the patch's texture seed

# shaft colour (RGB 0-1) along the pigment axis, warmer than the standard style's:
# brown-black, dark brown, auburn, golden blond; and unpigmented (yellowish white)
_PIGMENT = np.array(
    [[0.12, 0.075, 0.055], [0.25, 0.14, 0.085], [0.47, 0.27, 0.15], [0.80, 0.64, 0.42]],
    dtype=np.float32,
)
_GREY = np.array([0.84, 0.81, 0.74], dtype=np.float32)


def hair_colour(pigment: float, grey: float) -> np.ndarray:
    """Base RGB of a held-out-style shaft (pigment 0 black .. 1 blond, grey 0 .. 1 white)."""
    f = float(np.clip(pigment, 0.0, 1.0)) * 3.0
    i = min(int(f), 2)
    t = f - i
    c = (1 - t) * _PIGMENT[i] + t * _PIGMENT[i + 1]
    return ((1 - grey) * c + grey * _GREY).astype(np.float32)


def restyle_hairs(
    hairs: list[HairSpec], ranges: SceneRanges, p: dict[str, float], seed: int
) -> tuple[list[HairSpec], dict[str, float]]:
    """New lengths and directions for the held-out style (exits and diameters kept).

    Args:
        hairs: the patch's hairs as the standard style drew them.
        ranges: the scene ranges (long hairs only where they allow long hairs, so the
            patch's margin covers them).
        p: the patch's drawn parameters (``clip_length_um`` is used).
        seed: the patch's texture seed (this style's generator is keyed to it).

    Returns:
        ``(hairs, params)``: the restyled hairs in the same order and the style's drawn
        parameters (for the patch's provenance).
    """
    if not hairs:
        return hairs, {}
    rng = np.random.default_rng([int(seed), _STREAM])
    n = len(hairs)
    # clipped lengths: log-normal about 60 % of the clipper length, plus short stubs
    hi_c = float(ranges.clipped_length_um[1])
    clip_len = p["clip_length_um"] * np.exp(rng.normal(math.log(0.6), 0.4, n))
    stub = rng.uniform(size=n) < 0.12
    clip_len = np.clip(np.where(stub, rng.uniform(100.0, 250.0, n), clip_len), 100.0, max(hi_c, 100.0))
    allow_long = ranges.clipped_fraction[0] < 1.0 or ranges.p_unclipped > 0
    long_share = float(rng.uniform(0.005, 0.02)) if allow_long else 0.0
    make_long = rng.uniform(size=n) < long_share
    long_len = rng.uniform(*ranges.long_length_um, size=n)
    curv = rng.uniform(0.03, 0.2, n) * rng.choice((-1.0, 1.0), size=n)
    zones = rng.uniform(800.0, 2500.0, n)
    directions = _fanned_directions(hairs, rng)
    out = []
    for k, h in enumerate(hairs):
        h = replace(h, direction_deg=float(directions[k]))
        if h.clipped and make_long[k]:
            length = float(long_len[k])
            h = replace(
                h,
                clipped=False,
                length_um=length,
                curvature_per_mm=float(curv[k]),
                tip_zone_um=float(min(zones[k], 0.5 * length)),
                taper=float(min(0.3, 0.02 * length / 1000.0)),
            )
        elif h.clipped:
            length = float(clip_len[k])
            h = replace(h, length_um=length, taper=float(h.taper * length / max(h.length_um, 1e-6)))
        out.append(h)
    return out, {"heldout_long_share": round(long_share, 4)}


def _fanned_directions(hairs: list[HairSpec], rng: np.random.Generator) -> np.ndarray:
    """Directions (deg) in which each unit's hairs diverge from its opening in a V."""
    n = len(hairs)
    jitter = rng.normal(0.0, 3.0, n)
    single = rng.normal(0.0, 8.0, n)
    units: dict[int, list[int]] = {}
    for k, h in enumerate(hairs):
        units.setdefault(h.unit_id, []).append(k)
    fan = {u: float(rng.uniform(3.0, 10.0)) for u in sorted(units)}
    out = np.array([h.direction_deg for h in hairs], dtype=float)
    for u, idx in units.items():
        if len(idx) == 1:
            out[idx[0]] += single[idx[0]]
            continue
        rad = np.radians(out[idx])
        mean = math.atan2(float(np.sin(rad).sum()), float(np.cos(rad).sum()))
        exits = np.array([hairs[k].exit_um for k in idx], dtype=float)
        perp = np.array([-math.sin(mean), math.cos(mean)])
        off = (exits - exits.mean(axis=0)) @ perp
        off = off / max(float(np.abs(off).max()), 1e-9)
        out[idx] = math.degrees(mean) + fan[u] * off + jitter[idx]
    return out


def shade_shaft(img: np.ndarray, ras: ShaftRaster, hs: HairSpec) -> None:
    """Blend one shaft into ``img`` (float32 RGB, in place) in the held-out style."""
    base = hair_colour(hs.pigment, hs.grey)
    uu = np.clip(ras.u, -1.0, 1.0)
    depth = np.sqrt(np.maximum(1.0 - uu * uu, 0.0))  # path length through the shaft
    light = float(base.mean())
    # optical thickness: dark and thick hairs absorb more; thin vellus hairs are see-through
    tau = (4.2 - 3.4 * light) * np.sqrt(np.clip(ras.diameter_um / 45.0, 0.3, 1.0))
    opacity = 1.0 - np.exp(-tau * (0.3 + 0.7 * depth))
    # the root emerges through the horny layer: veiled over its first 15-35 um
    fade_um = 15.0 + 20.0 * ((hs.follicle_id * 0.381966) % 1.0)
    t = np.clip(ras.s_um / fade_um, 0.0, 1.0)
    opacity *= 0.45 + 0.55 * t * t * (3.0 - 2.0 * t)
    # pigment granules: hashed value noise along the shaft, about 18 um grain
    g = ras.s_um / 18.0
    i0 = np.floor(g).astype(np.int64)
    f = (g - i0).astype(np.float32)
    fid = np.full(i0.shape, hs.follicle_id, dtype=np.int64)
    n0 = _hash01(0x6A1, 3, i0 + (1 << 20), fid)
    n1 = _hash01(0x6A1, 3, i0 + 1 + (1 << 20), fid)
    along = 1.0 + 0.06 * (n0 + (n1 - n0) * f)
    col = base[None, :] * along[:, None]
    alpha = (ras.coverage * opacity)[:, None]
    px = img[ras.ys, ras.xs]
    img[ras.ys, ras.xs] = px * (1.0 - alpha) + alpha * col.astype(np.float32)
