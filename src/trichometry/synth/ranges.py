"""Parameter ranges of the synthetic scene generator, with validation.

Every scene parameter is a ``(low, high)`` range in physical units; a scene draws one
value from each range. A scalar given to :meth:`SceneRanges.with_overrides` or
:meth:`SceneRanges.from_dict` fixes the parameter (``width=256`` means ``(256, 256)``).
Probabilities (``p_*``) are plain floats in ``[0, 1]``. ``style`` names the rendering style
(one of :data:`STYLES`); ``"heldout"`` is for style-shift evaluation only, never training.

Example::

    ranges = SceneRanges().with_overrides(um_per_px=2.8, density_per_cm2=(150, 250))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from trichometry.errors import ConfigError

Range = tuple[float, float]

# Hard limits per range field: (smallest allowed, largest allowed). A range outside
# these is physically meaningless for trichoscopy and is refused.
_LIMITS: dict[str, tuple[float, float]] = {
    "um_per_px": (0.5, 50.0),
    "width": (1, 8192),
    "height": (1, 8192),
    "density_per_cm2": (0.0, 1000.0),
    "empty_follicle_fraction": (0.0, 1.0),
    "vellus_fraction": (0.0, 1.0),
    "intermediate_fraction": (0.0, 1.0),
    "terminal_diameter_um": (40.0, 200.0),
    "vellus_diameter_um": (3.0, 40.0),
    "intermediate_diameter_um": (20.0, 80.0),
    "taper_per_mm": (0.0, 0.2),
    "clipped_fraction": (0.0, 1.0),
    "clipped_length_um": (50.0, 5000.0),
    "long_length_um": (1000.0, 100000.0),
    "curvature_per_mm": (0.0, 2.0),
    "direction_spread_deg": (0.0, 180.0),
    "pigment": (0.0, 1.0),
    "grey_fraction": (0.0, 1.0),
    "cast_fraction": (0.0, 1.0),
    "fitzpatrick": (1.0, 6.0),
    "halo_strength": (0.0, 1.0),
    "dandruff_per_mm2": (0.0, 20.0),
    "vessels_per_mm2": (0.0, 5.0),
    "rotation_deg": (-360.0, 360.0),
    "illumination_gradient": (0.0, 0.8),
    "vignetting": (0.0, 0.9),
    "exposure": (0.3, 2.0),
    "auto_exposure": (0.0, 1.0),
    "white_balance": (-0.5, 0.5),
    "defocus_px": (0.0, 10.0),
    "defocus_tilt": (0.0, 5.0),
    "noise_sigma": (0.0, 30.0),
    "jpeg_quality": (10.0, 100.0),
    "glare_spots": (0.0, 20.0),
    "bubbles": (0.0, 20.0),
}

_INT_FIELDS = {"width", "height", "jpeg_quality", "glare_spots", "bubbles"}

# Rendering styles. "standard" is the training renderer; "heldout" draws the same kind of
# scene in another look (roots, shaft shading, lengths, skin, light) for style-shift
# evaluation only (see ``trichometry.synth.style_heldout``): never train on it.
STYLES = ("standard", "heldout")


@dataclass(frozen=True)
class SceneRanges:
    """Ranges from which scenes (a :class:`ScalpPatch` and a :class:`View`) are drawn.

    Attributes (each a ``(low, high)`` range unless noted):
        um_per_px: image scale; about 2 at 70x, 10 at 20x (drawn log-uniformly).
        width, height: image size in pixels.
        density_per_cm2: hairs per cm^2 in the patch (active hairs).
        unit_size_weights: relative frequency of follicular units of 1, 2, 3, 4 hairs.
        empty_follicle_fraction: share of follicular openings without a visible hair.
        vellus_fraction, intermediate_fraction: share of vellus (10-30 um) and
            intermediate (30-60 um) hairs; the rest are terminal.
        terminal_diameter_um: range of the patch's mean terminal diameter (hairs spread
            +-12 um around it, kept within 55-130 um).
        vellus_diameter_um, intermediate_diameter_um: per-hair diameter ranges.
        taper_per_mm: relative loss of diameter per mm of length (capped at 30 %).
        clipped_fraction: share of hairs clipped short (the trial set-up); a few long
            hairs from outside the clipped area still cross most frames.
        clipped_length_um: visible length of clipped hairs (a patch draws one clipper
            length from the range; each hair shows 45-100 % of it, kept in the range).
        long_length_um: length of unclipped hairs.
        curvature_per_mm: absolute curvature of unclipped hairs (rad per mm).
        direction_spread_deg: spread of hair directions around the patch's stream.
        pigment: patch hair colour, 0 = black ... 1 = blond.
        grey_fraction: share of grey / white hairs.
        cast_fraction: share of hairs with a whitish peripilar cast at the exit.
        fitzpatrick: skin type I-VI as a continuous value 1-6.
        halo_strength: perifollicular pigmentation / subsurface shaft visibility.
        dandruff_per_mm2, vessels_per_mm2: scale flakes and visible vessels.
        rotation_deg: camera rotation about the target-area centre.
        illumination_gradient, vignetting, exposure, white_balance: lighting.
        auto_exposure: how far the camera normalises the scene's brightness (0-1).
        defocus_px: Gaussian defocus sigma in pixels.
        defocus_tilt: relative growth of the blur across the frame (tilted plate).
        noise_sigma: sensor noise (8-bit units).
        jpeg_quality: JPEG quality of the stored image (100 = no JPEG step).
        glare_spots, bubbles: count of specular glare spots and air bubbles.
        p_unclipped: probability that a scene is unclipped scalp: then its clipped
            share is drawn from 0-0.3 instead of ``clipped_fraction`` (long hairs
            crossing the field and each other).
        p_strip, p_scale_bar, p_circle: probability of each burned-in overlay.
        p_etched_scale: probability of a millimetre scale etched on the contact plate.
        style: rendering style, one of :data:`STYLES` (``"standard"``: the training
            renderer; ``"heldout"``: the held-out evaluation style, never for training).
    """

    um_per_px: Range = (2.0, 10.0)
    width: Range = (1280, 1280)
    height: Range = (960, 1024)
    density_per_cm2: Range = (20.0, 320.0)
    unit_size_weights: tuple[float, float, float, float] = (0.35, 0.4, 0.2, 0.05)
    empty_follicle_fraction: Range = (0.0, 0.15)
    vellus_fraction: Range = (0.0, 0.25)
    intermediate_fraction: Range = (0.05, 0.35)
    terminal_diameter_um: Range = (60.0, 95.0)
    vellus_diameter_um: Range = (10.0, 30.0)
    intermediate_diameter_um: Range = (30.0, 60.0)
    taper_per_mm: Range = (0.0, 0.03)
    clipped_fraction: Range = (0.985, 1.0)
    clipped_length_um: Range = (300.0, 2000.0)
    long_length_um: Range = (3000.0, 15000.0)
    curvature_per_mm: Range = (0.0, 0.25)
    direction_spread_deg: Range = (5.0, 35.0)
    pigment: Range = (0.0, 0.45)
    grey_fraction: Range = (0.0, 0.1)
    cast_fraction: Range = (0.0, 0.15)
    fitzpatrick: Range = (1.0, 6.0)
    halo_strength: Range = (0.4, 1.0)
    dandruff_per_mm2: Range = (0.0, 1.5)
    vessels_per_mm2: Range = (0.0, 0.1)
    rotation_deg: Range = (-180.0, 180.0)
    illumination_gradient: Range = (0.0, 0.25)
    vignetting: Range = (0.0, 0.35)
    exposure: Range = (0.93, 1.27)
    auto_exposure: Range = (0.3, 0.9)
    white_balance: Range = (-0.27, 0.03)
    defocus_px: Range = (1.0, 3.0)
    defocus_tilt: Range = (0.0, 1.0)
    noise_sigma: Range = (1.0, 5.0)
    jpeg_quality: Range = (70, 95)
    glare_spots: Range = (0, 2)
    bubbles: Range = (0, 1)
    p_unclipped: float = 0.15
    p_strip: float = 0.3
    p_scale_bar: float = 0.3
    p_circle: float = 0.2
    p_etched_scale: float = 0.1
    style: str = "standard"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "style":
                _check_style(value)
            elif f.name.startswith("p_"):
                _check_probability(f.name, value)
            elif f.name == "unit_size_weights":
                object.__setattr__(self, f.name, _check_weights(value))
            else:
                object.__setattr__(self, f.name, _check_range(f.name, value))

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> SceneRanges:
        """Named starting points (see :data:`PRESETS`), optionally with overrides.

        Example::

            SceneRanges.preset("trial_70x", density_per_cm2=(150, 250))

        Raises:
            ConfigError: unknown preset name (the message lists the valid ones).
        """
        if name not in PRESETS:
            raise ConfigError(f"unknown scene preset {name!r}; use one of: {', '.join(sorted(PRESETS))}.")
        return cls.from_dict({**PRESETS[name], **overrides})

    @classmethod
    def names(cls) -> list[str]:
        """All parameter names, in declaration order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SceneRanges:
        """Build ranges from a mapping of parameter name to range / scalar.

        Raises:
            ConfigError: unknown name or impossible range.
        """
        return cls().with_overrides(**dict(d))

    def with_overrides(self, **kw: Any) -> SceneRanges:
        """A copy with some parameters replaced (scalars fix a range to one value).

        Raises:
            ConfigError: unknown name or impossible range.
        """
        known = set(self.names())
        unknown = sorted(set(kw) - known)
        if unknown:
            raise ConfigError(
                f"unknown scene parameter(s) {', '.join(unknown)}; use one of: {', '.join(sorted(known))}."
            )
        return dataclasses.replace(self, **kw)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (ranges as 2-item lists)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


def _check_style(value: Any) -> None:
    if not isinstance(value, str) or value not in STYLES:
        raise ConfigError(
            f"scene parameter style={value!r} is not a rendering style; use one of: {', '.join(STYLES)}."
        )


def _check_probability(name: str, value: Any) -> None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"scene parameter {name}={value!r} must be a probability in [0, 1].") from None
    if not 0.0 <= v <= 1.0:
        raise ConfigError(
            f"scene parameter {name}={v} is outside the allowed range [0, 1]; give a probability."
        )


def _check_weights(value: Any) -> tuple[float, float, float, float]:
    try:
        w = [float(x) for x in value]
    except (TypeError, ValueError):
        raise ConfigError(
            f"scene parameter unit_size_weights={value!r} must be 4 numbers (units of 1, 2, 3, 4 hairs)."
        ) from None
    if len(w) != 4 or any(x < 0 for x in w) or sum(w) <= 0:
        raise ConfigError(
            f"scene parameter unit_size_weights={value!r} must be 4 non-negative numbers with a positive sum "
            "(relative frequency of units of 1, 2, 3, 4 hairs)."
        )
    return (w[0], w[1], w[2], w[3])


def _check_range(name: str, value: Any) -> Range:
    lo_lim, hi_lim = _LIMITS[name]
    allowed = f"allowed range [{lo_lim:g}, {hi_lim:g}]"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo = hi = value
    else:
        try:
            lo, hi = value
        except (TypeError, ValueError):
            raise ConfigError(
                f"scene parameter {name}={value!r} must be a number or a (low, high) pair within {allowed}."
            ) from None
    try:
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        raise ConfigError(f"scene parameter {name}={value!r} must be numeric, within {allowed}.") from None
    if not (lo == lo and hi == hi):  # NaN
        raise ConfigError(f"scene parameter {name}={value!r} is not a number; give values within {allowed}.")
    if lo > hi:
        raise ConfigError(
            f"scene parameter {name}=({lo:g}, {hi:g}) has low > high; give (low, high) within {allowed}."
        )
    if lo < lo_lim or hi > hi_lim:
        raise ConfigError(f"scene parameter {name}=({lo:g}, {hi:g}) is outside the {allowed}.")
    if name in _INT_FIELDS:
        if lo != int(lo) or hi != int(hi):
            raise ConfigError(
                f"scene parameter {name}=({lo:g}, {hi:g}) must be whole numbers within {allowed}."
            )
        return (int(lo), int(hi))
    return (lo, hi)


# Named scene families. Values override the :class:`SceneRanges` defaults.
PRESETS: dict[str, dict[str, Any]] = {
    # everything the generator can do (the defaults)
    "default": {},
    # a trial target area at 70x: clipped hair, about 2.8 um/px, 1280x1024
    "trial_70x": {
        "um_per_px": (2.5, 3.2),
        "width": 1280,
        "height": 1024,
        "clipped_fraction": (0.99, 1.0),
        "p_unclipped": 0.0,
        "density_per_cm2": (60.0, 320.0),
    },
    # close to the real FDU 70x set (skin types II-IV, hair clipped to 0.3-0.8 mm
    # visible length, about 12 labelled hairs per 1280x1024 frame, its overlays)
    "fdu_like": {
        "um_per_px": (2.6, 3.0),
        "width": 1280,
        "height": 1024,
        "fitzpatrick": (2.0, 4.0),
        "clipped_fraction": (0.99, 1.0),
        "p_unclipped": 0.0,
        "jpeg_quality": (72, 80),  # the set's quantisation tables are those of quality 75
        "density_per_cm2": (70.0, 190.0),
        "clipped_length_um": (300.0, 800.0),
        "terminal_diameter_um": (55.0, 85.0),
        "pigment": (0.0, 0.25),
        "grey_fraction": (0.0, 0.03),
        "p_strip": 0.5,
        "p_scale_bar": 0.25,
        "p_circle": 0.25,
    },
    # a 20x overview of unclipped hair (clinic photo), about 10 um/px
    "clinic_20x": {
        "um_per_px": (8.0, 10.0),
        "width": 1280,
        "height": 960,
        "p_unclipped": 1.0,
        "defocus_px": (0.5, 1.5),
    },
    # the held-out rendering style (style-shift check; evaluation only, never training):
    # trial-like clipped hair at any scale, drawn by the other renderer, with somewhat
    # more crossing long hairs and stronger, ring-lit vignetting
    "heldout_style": {
        "style": "heldout",
        "clipped_fraction": (0.95, 0.99),
        "p_unclipped": 0.05,
        "clipped_length_um": (200.0, 1600.0),
        "vignetting": (0.15, 0.45),
        "illumination_gradient": (0.05, 0.3),
    },
}
