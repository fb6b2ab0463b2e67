"""A persistent patch of scalp in physical units, independent of any camera view.

The skin frame has its origin at the centre of the target area, x to the right and y
down (as the image at zero rotation), lengths in micrometres. A :class:`ScalpPatch`
lists every follicle's hair (:class:`HairSpec`) and the skin's look
(:class:`SkinSpec`); a :class:`~trichometry.synth.view.View` images part of it.
Longitudinal studies keep one patch per subject and change hairs between visits with
:func:`dataclasses.replace` (for example ``replace(h, diameter_um=h.diameter_um + 2)``
or ``replace(h, active=False)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from trichometry.errors import ConfigError
from trichometry.synth.ranges import STYLES, SceneRanges
from trichometry.synth.raster import TIP_POINT
from trichometry.synth.style_heldout_hairs import restyle_hairs

_UNIT_GAP_UM = 40.0  # least skin between the outermost hairs of two follicular units


@dataclass(frozen=True)
class HairSpec:
    """One follicle and the hair it grows, in the skin frame (micrometres).

    Attributes:
        follicle_id: persistent identity (stable across visits).
        unit_id: follicular unit; hairs sharing one opening share it.
        exit_um: ``(x, y)`` where the hair leaves the skin.
        direction_deg: growth direction in the skin plane (0 = +x, 90 = +y).
        diameter_um: shaft diameter at the root.
        taper: relative diameter loss from root to tip (0 = none, 0.3 = 30 %).
        length_um: length along the centreline from exit to tip.
        curvature_per_mm: signed curvature (rad per mm of length).
        clipped: cut short (square cut end) rather than a natural tip.
        pigment: 0 = black ... 1 = blond.
        grey: 0 = pigmented ... 1 = white (unpigmented).
        cast: opacity 0-1 of a whitish peripilar cast (keratin sleeve) around the
            shaft's first 50-150 um; 0 = none. It veils the shaft, which still counts.
        tip_zone_um: length of the natural pointed tip of an uncut hair (0 for clipped
            hairs): over it the shaft narrows to 15 % of the tapered diameter.
        active: False for a dormant follicle: an empty opening with no visible shaft.
    """

    follicle_id: int
    unit_id: int
    exit_um: tuple[float, float]
    direction_deg: float
    diameter_um: float
    taper: float
    length_um: float
    curvature_per_mm: float
    clipped: bool
    pigment: float
    grey: float = 0.0
    active: bool = True
    cast: float = 0.0
    tip_zone_um: float = 0.0

    @property
    def tip_diameter_um(self) -> float:
        """Diameter at the very end (the cut, or the point of a natural tip)."""
        d = self.diameter_um * (1.0 - self.taper)
        return d * TIP_POINT if self.tip_zone_um > 0 else d

    def centreline_um(self, step_um: float) -> np.ndarray:
        """Points along the centreline, exit first, at most ``step_um`` apart.

        Returns:
            ``(N, 2)`` float array of ``(x, y)`` micrometres in the skin frame, N >= 2.
        """
        n = max(2, math.ceil(self.length_um / max(step_um, 1e-6)) + 1)
        s = np.linspace(0.0, self.length_um, n)
        theta0 = math.radians(self.direction_deg)
        k = self.curvature_per_mm / 1000.0
        theta = theta0 + k * s
        if abs(k) < 1e-12:
            x = s * math.cos(theta0)
            y = s * math.sin(theta0)
        else:
            x = (np.sin(theta) - math.sin(theta0)) / k
            y = (math.cos(theta0) - np.cos(theta)) / k
        return np.stack([x + self.exit_um[0], y + self.exit_um[1]], axis=1)


@dataclass(frozen=True)
class SkinSpec:
    """Appearance of the skin of a patch (persistent across visits).

    Attributes:
        fitzpatrick: skin type 1-6 (continuous).
        halo_strength: 0-1, perifollicular pigmentation and subsurface shaft shadow.
        texture_seed: seed of the skin texture (a function of skin position).
        dandruff: ``(K, 3)`` flakes ``(x_um, y_um, radius_um)``.
        vessels: list of ``(M, 2)`` polylines in um.
        redness: 0-1 diffuse erythema.
        scaling: 0-1 whitish cornified veil (strong in most 70x images).
        furrows: 0-1 depth of the polygonal skin-line network.
    """

    fitzpatrick: float
    halo_strength: float
    texture_seed: int
    dandruff: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    vessels: list[np.ndarray] = field(default_factory=list)
    redness: float = 0.0
    scaling: float = 0.3
    furrows: float = 0.5


@dataclass(frozen=True)
class ScalpPatch:
    """A rectangle of scalp, ``extent_um`` wide and high, centred on the skin origin.

    Attributes:
        extent_um: ``(width, height)`` in um.
        hairs: one :class:`HairSpec` per follicle (dormant ones included).
        skin: the skin's appearance.
        params: scene parameters drawn for this patch (provenance).
        style: rendering style, one of :data:`~trichometry.synth.ranges.STYLES`
            (``"heldout"``: the held-out evaluation style, never for training).
    """

    extent_um: tuple[float, float]
    hairs: tuple[HairSpec, ...]
    skin: SkinSpec
    params: dict[str, Any] = field(default_factory=dict)
    style: str = "standard"

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ConfigError(
                f"patch style={self.style!r} is not a rendering style; use one of: {', '.join(STYLES)}."
            )

    @property
    def area_cm2(self) -> float:
        return self.extent_um[0] * self.extent_um[1] * 1e-8

    @property
    def active_hairs(self) -> list[HairSpec]:
        return [h for h in self.hairs if h.active]

    @property
    def density_per_cm2(self) -> float:
        return len(self.active_hairs) / self.area_cm2

    @property
    def empty_follicles(self) -> list[tuple[float, float]]:
        """Openings (um) of follicular units where no hair is active."""
        units: dict[int, list[HairSpec]] = {}
        for h in self.hairs:
            units.setdefault(h.unit_id, []).append(h)
        out = []
        for hs in units.values():
            if not any(h.active for h in hs):
                xy = np.mean([h.exit_um for h in hs], axis=0)
                out.append((float(xy[0]), float(xy[1])))
        return out


def _uniform(rng: np.random.Generator, r: tuple[float, float]) -> float:
    return float(rng.uniform(r[0], r[1])) if r[1] > r[0] else float(r[0])


def _unit_centres(rng: np.random.Generator, radii: np.ndarray, extent: tuple[float, float]) -> np.ndarray:
    """Centres for units of the given radii (um) in the extent, kept apart so units never overlap.

    Two centres are at least ``r_i + r_j + _UNIT_GAP_UM`` apart (dart throwing on a
    grid hash). Returns ``(n, 2)``, with NaN rows for units that found no room.
    """
    w, h = extent
    n = len(radii)
    out = np.full((n, 2), np.nan)
    if n == 0:
        return out
    reach = 2.0 * float(radii.max()) + _UNIT_GAP_UM
    cell = max(reach / 2.0, 1.0)
    grid: dict[tuple[int, int], list[int]] = {}
    for k in range(n):
        cand = rng.uniform((-w / 2, -h / 2), (w / 2, h / 2), size=(30, 2))
        for x, y in cand:
            gx, gy = int((x + w / 2) // cell), int((y + h / 2) // cell)
            ok = True
            for j in range(gy - 2, gy + 3):
                for i in range(gx - 2, gx + 3):
                    for m in grid.get((i, j), ()):
                        lim = radii[k] + radii[m] + _UNIT_GAP_UM
                        if (out[m, 0] - x) ** 2 + (out[m, 1] - y) ** 2 < lim * lim:
                            ok = False
                            break
                    if not ok:
                        break
                if not ok:
                    break
            if ok:
                out[k] = (x, y)
                grid.setdefault((gx, gy), []).append(k)
                break
    return out


def _diameters(rng: np.random.Generator, ranges: SceneRanges, p: dict[str, float], n: int) -> np.ndarray:
    """Per-hair root diameters (um): vellus, intermediate or terminal by the patch's shares."""
    u = rng.uniform(size=n)
    vel = rng.uniform(*ranges.vellus_diameter_um, size=n)
    mid = rng.uniform(*ranges.intermediate_diameter_um, size=n)
    lo_t, hi_t = ranges.terminal_diameter_um
    term = np.clip(rng.normal(p["terminal_diameter_um"], 12.0, size=n), min(55.0, lo_t), max(130.0, hi_t))
    v, i = p["vellus_fraction"], p["intermediate_fraction"]
    return np.where(u < v, vel, np.where(u < v + i, mid, term))


def _draw_hairs(
    rng: np.random.Generator,
    ranges: SceneRanges,
    p: dict[str, float],
    n_units: int,
    n_empty: int,
    weights: np.ndarray,
    extent: tuple[float, float],
) -> list[HairSpec]:
    """Hairs of ``n_units`` follicular units placed in the extent (the last ``n_empty`` are
    dormant single openings); vectorised draws."""
    if n_units == 0:
        return []
    sizes = rng.choice(4, size=n_units, p=weights) + 1
    sizes[n_units - n_empty :] = 1
    unit_dir = p["stream_deg"] + rng.normal(0.0, p["direction_spread_deg"], size=n_units)
    unit_of = np.repeat(np.arange(n_units), sizes)  # unit index per hair
    n = len(unit_of)
    rank = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # position within its unit
    diam = _diameters(rng, ranges, p, n)
    # exits side by side across the growth direction, never overlapping: the gap to the
    # previous hair of the unit is the mean of both radii plus 8-25 um
    gap = np.where(rank > 0, (diam + np.roll(diam, 1)) / 2 + rng.uniform(8.0, 25.0, size=n), 0.0)
    offset = np.zeros(n)
    starts = np.cumsum(sizes) - sizes
    for u0, m in zip(starts, sizes):
        if m > 1:
            o = np.cumsum(gap[u0 : u0 + m])
            offset[u0 : u0 + m] = o - o.mean()
    along = rng.uniform(-10.0, 10.0, size=n)
    # each unit's radius reaches its outermost hair's edge; units never overlap
    radius = np.zeros(n_units)
    np.maximum.at(radius, unit_of, np.abs(offset) + diam / 2 + 10.0)
    centres = _unit_centres(rng, radius, extent)
    perp = np.radians(unit_dir[unit_of] + 90.0)
    ex = centres[unit_of, 0] + offset * np.cos(perp) + along * np.sin(perp)
    ey = centres[unit_of, 1] + offset * np.sin(perp) - along * np.cos(perp)
    clipped = rng.uniform(size=n) < p["clipped_fraction"]
    # one clipper length per patch; the visible length varies with the hair's
    # elevation from the skin (foreshortening) and the cut
    lo_c, hi_c = ranges.clipped_length_um
    clip_len = np.clip(p["clip_length_um"] * rng.uniform(0.45, 1.0, size=n), lo_c, hi_c)
    long_len = rng.uniform(*ranges.long_length_um, size=n)
    length = np.where(clipped, clip_len, long_len)
    curv = rng.uniform(*ranges.curvature_per_mm, size=n) * rng.choice((-1.0, 1.0), size=n)
    curv = np.where(clipped, 0.0, curv)
    grey = np.where(rng.uniform(size=n) < p["grey_fraction"], rng.uniform(0.6, 1.0, size=n), 0.0)
    direction = unit_dir[unit_of] + rng.normal(0.0, 6.0, size=n)
    taper = np.minimum(0.3, rng.uniform(*ranges.taper_per_mm, size=n) * length / 1000.0)
    pigment = np.clip(p["pigment"] + rng.normal(0.0, 0.08, size=n), 0.0, 1.0)
    # vellus hairs carry little melanin: lighter the thinner they are (below 30 um)
    pigment = pigment + (1.0 - pigment) * 0.6 * np.clip((30.0 - diam) / 20.0, 0.0, 1.0)
    active = unit_of < n_units - n_empty
    placed = np.isfinite(ex) & np.isfinite(ey)
    return [
        HairSpec(
            follicle_id=k + 1,
            unit_id=int(unit_of[k]) + 1,
            exit_um=(float(ex[k]), float(ey[k])),
            direction_deg=float(direction[k]),
            diameter_um=float(diam[k]),
            taper=float(taper[k]),
            length_um=float(length[k]),
            curvature_per_mm=float(curv[k]),
            clipped=bool(clipped[k]),
            pigment=float(pigment[k]),
            grey=float(grey[k]),
            active=bool(active[k]),
        )
        for k in range(n)
        if placed[k]
    ]


def sample_patch(
    ranges: SceneRanges | None,
    rng: np.random.Generator,
    extent_um: tuple[float, float] = (6000.0, 5000.0),
) -> ScalpPatch:
    """Draw a scalp patch: follicular units, hairs and skin.

    Args:
        ranges: parameter ranges (defaults when None).
        rng: the random generator (the only source of randomness).
        extent_um: ``(width, height)`` of the patch; make it cover the views plus the
            length of hairs that may reach into them.

    Returns:
        The patch; ``patch.params`` holds the drawn scene parameters.
    """
    ranges = ranges or SceneRanges()
    try:
        w_um, h_um = float(extent_um[0]), float(extent_um[1])
    except (TypeError, ValueError, IndexError):
        raise ConfigError(f"patch extent_um={extent_um!r} must be a (width, height) pair in um.") from None
    if not (0 < w_um <= 1e6 and 0 < h_um <= 1e6):
        raise ConfigError(
            f"patch extent_um=({w_um:g}, {h_um:g}) must be positive and at most 1 m; "
            "give the target area's width and height in um."
        )
    names = [
        "density_per_cm2", "empty_follicle_fraction", "vellus_fraction", "intermediate_fraction",
        "terminal_diameter_um", "taper_per_mm", "clipped_fraction", "direction_spread_deg", "pigment",
        "grey_fraction", "fitzpatrick", "halo_strength", "dandruff_per_mm2", "vessels_per_mm2",
    ]  # fmt: skip
    p = {n: _uniform(rng, getattr(ranges, n)) for n in names}
    if p["vellus_fraction"] + p["intermediate_fraction"] > 1.0:
        s = p["vellus_fraction"] + p["intermediate_fraction"]
        p["vellus_fraction"] /= s
        p["intermediate_fraction"] /= s
    p["unclipped_scene"] = float(rng.uniform() < ranges.p_unclipped)
    if p["unclipped_scene"]:
        p["clipped_fraction"] = float(rng.uniform(0.0, 0.3))
    p["stream_deg"] = float(rng.uniform(0.0, 360.0))
    p["clip_length_um"] = _uniform(rng, ranges.clipped_length_um)
    area_cm2 = w_um * h_um * 1e-8

    weights = np.asarray(ranges.unit_size_weights, dtype=float)
    weights = weights / weights.sum()
    mean_unit = float((weights * np.arange(1, 5)).sum())
    n_hairs_target = rng.poisson(p["density_per_cm2"] * area_cm2)
    n_units_active = max(0, round(n_hairs_target / mean_unit))
    n_units_empty = rng.binomial(n_units_active, p["empty_follicle_fraction"]) if n_units_active else 0
    hairs = _draw_hairs(rng, ranges, p, n_units_active + n_units_empty, n_units_empty, weights, (w_um, h_um))
    skin = _sample_skin(rng, p, (w_um, h_um))
    # drawn last so that adding them kept every earlier draw
    p["cast_fraction"] = _uniform(rng, ranges.cast_fraction)
    has_cast = rng.uniform(size=len(hairs)) < p["cast_fraction"]
    opacity = rng.uniform(0.2, 0.55, size=len(hairs))
    hairs = [replace(h, cast=float(o)) if c else h for h, c, o in zip(hairs, has_cast, opacity)]
    skin = replace(skin, furrows=float(rng.uniform(0.2, 1.0)))
    zones = rng.uniform(800.0, 2500.0, size=len(hairs))
    hairs = [
        h if h.clipped else replace(h, tip_zone_um=float(min(z, 0.5 * h.length_um)))
        for h, z in zip(hairs, zones)
    ]
    params: dict[str, Any] = {k: round(v, 4) for k, v in p.items()}
    params["extent_um"] = [w_um, h_um]
    if ranges.style != "standard":  # its own generator: the draws above stay as they are
        hairs, extra = restyle_hairs(hairs, ranges, p, skin.texture_seed)
        params.update(extra, style=ranges.style)
    return ScalpPatch(
        extent_um=(w_um, h_um), hairs=tuple(hairs), skin=skin, params=params, style=ranges.style
    )


def _sample_skin(rng: np.random.Generator, p: dict[str, float], extent: tuple[float, float]) -> SkinSpec:
    w, h = extent
    area_mm2 = w * h * 1e-6
    n_flakes = rng.poisson(p["dandruff_per_mm2"] * area_mm2)
    flakes = np.column_stack(
        [
            rng.uniform(-w / 2, w / 2, n_flakes),
            rng.uniform(-h / 2, h / 2, n_flakes),
            rng.lognormal(math.log(30.0), 0.6, n_flakes),
        ]
    ).reshape(-1, 3)
    vessels = []
    for _ in range(rng.poisson(p["vessels_per_mm2"] * area_mm2)):
        n = int(rng.integers(6, 14))
        ang = rng.uniform(0, 2 * math.pi) + np.cumsum(rng.normal(0.0, 0.5, n))
        step = rng.uniform(40.0, 90.0)
        xy = np.cumsum(np.column_stack([np.cos(ang), np.sin(ang)]) * step, axis=0)
        vessels.append(xy + rng.uniform((-w / 2, -h / 2), (w / 2, h / 2)))
    return SkinSpec(
        fitzpatrick=p["fitzpatrick"],
        halo_strength=p["halo_strength"],
        texture_seed=int(rng.integers(0, 2**31 - 1)),
        dandruff=flakes,
        vessels=vessels,
        redness=float(rng.uniform(0.0, 0.5)),
        scaling=float(rng.uniform(0.1, 0.6)),
    )
