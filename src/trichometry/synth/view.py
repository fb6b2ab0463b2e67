"""The camera view of a scalp patch: scale, framing, optics and burned-in overlays.

A :class:`View` maps the skin frame (um) to pixels: the skin point ``centre_um`` lands
on the image centre (``((W - 1) / 2, (H - 1) / 2)``), the image x axis points along
the skin direction ``rotation_deg`` (so a skin direction ``theta`` appears at
``theta - rotation_deg`` in the image), and one pixel spans ``um_per_px``. Everything
here is about the *picture*, nothing about the hairs, so a longitudinal study
re-images one patch with slightly different views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import ConfigError
from trichometry.synth.ranges import SceneRanges


@dataclass(frozen=True)
class View:
    """One picture of a patch.

    Attributes:
        um_per_px: micrometres per pixel (> 0).
        width, height: image size in pixels (> 0).
        centre_um: skin-frame point at the image centre.
        rotation_deg: angle of the image x axis in the skin frame.
        illumination_gradient: relative brightness change across the frame.
        illumination_deg: direction of the brightness gradient.
        vignetting: relative darkening at the corners.
        exposure: global brightness gain.
        auto_exposure: 0-1, how far the camera pulls the scene's mean brightness
            towards mid-grey before ``exposure`` (0 = fixed exposure).
        white_balance: ``(r, g, b)`` gains of the camera.
        defocus_px: Gaussian defocus sigma (pixels).
        defocus_tilt: extra blur across the frame (a tilted contact plate): the sigma
            grows linearly to ``defocus_px * (1 + defocus_tilt)`` towards ``defocus_deg``.
        defocus_deg: direction in which the blur grows.
        noise_sigma: sensor noise (8-bit units).
        jpeg_quality: JPEG quality, or ``None`` for no compression.
        glare: ``(K, 4)`` spots ``(x_px, y_px, radius_px, strength)``.
        bubbles: ``(K, 3)`` air bubbles ``(x_px, y_px, radius_px)``.
        strip: burned-in text: ``None``, ``"bottom"`` (light grey strip) or ``"top"``
            (a header row of dark text boxes).
        strip_text: the text; for ``"top"`` boxes are separated by ``|``.
        scale_bar: draw the L-shaped scale bar.
        circle: measurement circle ``(x_px, y_px, radius_px)`` or ``None``.
        etched_scale: a millimetre scale etched on the contact plate (fine ticks every
            0.1 mm along one edge, longer ones every 0.5 and 1 mm); in focus with the
            skin, so it is blurred with the picture.
    """

    um_per_px: float
    width: int
    height: int
    centre_um: tuple[float, float] = (0.0, 0.0)
    rotation_deg: float = 0.0
    illumination_gradient: float = 0.0
    illumination_deg: float = 0.0
    vignetting: float = 0.0
    exposure: float = 1.0
    auto_exposure: float = 0.0
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    defocus_px: float = 0.0
    defocus_tilt: float = 0.0
    defocus_deg: float = 0.0
    noise_sigma: float = 0.0
    jpeg_quality: int | None = None
    glare: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    bubbles: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    strip: str | None = None
    strip_text: str = ""
    scale_bar: bool = False
    circle: tuple[float, float, float] | None = None
    etched_scale: bool = False

    def __post_init__(self) -> None:
        if not (
            isinstance(self.um_per_px, (int, float)) and self.um_per_px > 0 and math.isfinite(self.um_per_px)
        ):
            raise ConfigError(f"view um_per_px={self.um_per_px!r} must be a positive number (about 2-10).")
        for name in ("width", "height"):
            v = getattr(self, name)
            if int(v) != v or not 1 <= v <= 8192:
                raise ConfigError(f"view {name}={v!r} must be a whole number of pixels in [1, 8192].")
        if self.jpeg_quality is not None and not 1 <= int(self.jpeg_quality) <= 100:
            raise ConfigError(f"view jpeg_quality={self.jpeg_quality!r} must be in [1, 100] or None.")
        if self.strip not in (None, "top", "bottom"):
            raise ConfigError(f"view strip={self.strip!r} must be None, 'top' or 'bottom'.")

    @property
    def footprint_um(self) -> tuple[float, float]:
        """Axis-aligned extent in the skin frame of the (rotated) image (um)."""
        w, h = self.width * self.um_per_px, self.height * self.um_per_px
        c, s = abs(math.cos(math.radians(self.rotation_deg))), abs(math.sin(math.radians(self.rotation_deg)))
        return (w * c + h * s, w * s + h * c)

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        a = math.radians(self.rotation_deg)
        # columns: image x / y axes expressed in the skin frame
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        centre_px = np.array([(self.width - 1) / 2.0, (self.height - 1) / 2.0])
        return rot, centre_px

    def skin_to_px(self, xy_um: np.ndarray) -> np.ndarray:
        """Map skin points ``(N, 2)`` um to pixel ``(x, y)``; shape kept."""
        rot, c = self._affine()
        d = (np.asarray(xy_um, dtype=float) - np.asarray(self.centre_um)) / self.um_per_px
        return d @ rot + c  # rot is orthonormal: inverse = transpose

    def px_to_skin(self, xy_px: np.ndarray) -> np.ndarray:
        """Map pixel points ``(N, 2)`` to skin um; inverse of :meth:`skin_to_px`."""
        rot, c = self._affine()
        return (np.asarray(xy_px, dtype=float) - c) @ rot.T * self.um_per_px + np.asarray(self.centre_um)

    def angle_to_px(self, deg: float) -> float:
        """A skin-frame direction (degrees) as an image direction."""
        return deg - self.rotation_deg

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (provenance)."""
        return {
            "um_per_px": round(float(self.um_per_px), 6),
            "width": int(self.width),
            "height": int(self.height),
            "centre_um": [round(float(v), 3) for v in self.centre_um],
            "rotation_deg": round(float(self.rotation_deg), 4),
            "illumination_gradient": round(float(self.illumination_gradient), 4),
            "illumination_deg": round(float(self.illumination_deg), 3),
            "vignetting": round(float(self.vignetting), 4),
            "exposure": round(float(self.exposure), 4),
            "auto_exposure": round(float(self.auto_exposure), 4),
            "white_balance": [round(float(v), 4) for v in self.white_balance],
            "defocus_px": round(float(self.defocus_px), 4),
            "defocus_tilt": round(float(self.defocus_tilt), 4),
            "defocus_deg": round(float(self.defocus_deg), 3),
            "noise_sigma": round(float(self.noise_sigma), 4),
            "jpeg_quality": None if self.jpeg_quality is None else int(self.jpeg_quality),
            "glare": np.round(np.asarray(self.glare, dtype=float), 3).tolist(),
            "bubbles": np.round(np.asarray(self.bubbles, dtype=float), 3).tolist(),
            "strip": self.strip,
            "strip_text": self.strip_text,
            "scale_bar": bool(self.scale_bar),
            "circle": None if self.circle is None else [round(float(v), 3) for v in self.circle],
            "etched_scale": bool(self.etched_scale),
        }


def _u(rng: np.random.Generator, r: tuple[float, float]) -> float:
    return float(rng.uniform(r[0], r[1])) if r[1] > r[0] else float(r[0])


def sample_view(
    ranges: SceneRanges | None,
    rng: np.random.Generator,
    *,
    centre_um: tuple[float, float] = (0.0, 0.0),
) -> View:
    """Draw a camera view (scale, size, rotation, optics, overlays) from the ranges.

    Args:
        ranges: parameter ranges (defaults when None).
        rng: the random generator.
        centre_um: skin-frame point the camera is centred on.

    Returns:
        A :class:`View`.
    """
    r = ranges or SceneRanges()
    lo, hi = r.um_per_px
    upp = float(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if hi > lo else float(lo)
    width = int(rng.integers(r.width[0], r.width[1] + 1))
    height = int(rng.integers(r.height[0], r.height[1] + 1))
    wb = _u(rng, r.white_balance)
    tint = rng.normal(0.0, 0.03)
    white_balance = (1.0 + wb, 1.0 + tint, 1.0 - wb)
    q = int(rng.integers(r.jpeg_quality[0], r.jpeg_quality[1] + 1))
    n_glare = int(rng.integers(r.glare_spots[0], r.glare_spots[1] + 1))
    glare = np.column_stack(
        [
            rng.uniform(0, width, n_glare),
            rng.uniform(0, height, n_glare),
            rng.uniform(0.03, 0.15, n_glare) * min(width, height),
            rng.uniform(0.2, 0.7, n_glare),
        ]
    ).reshape(-1, 4)
    n_bub = int(rng.integers(r.bubbles[0], r.bubbles[1] + 1))
    bubbles = np.column_stack(
        [
            rng.uniform(0, width, n_bub),
            rng.uniform(0, height, n_bub),
            rng.lognormal(math.log(0.05), 0.6, n_bub) * min(width, height),
        ]
    ).reshape(-1, 3)
    strip = None
    if rng.uniform() < r.p_strip:
        strip = "bottom" if rng.uniform() < 0.6 else "top"
    stamp = (
        f"{int(rng.integers(2019, 2026))}/{int(rng.integers(1, 13)):02d}/{int(rng.integers(1, 29)):02d} "
        f"{int(rng.integers(8, 19)):02d}:{int(rng.integers(0, 60)):02d}:{int(rng.integers(0, 60)):02d}"
    )
    mag = f"{round(70 * 2.8 / upp)}x"
    strip_text = ""
    if strip == "top":
        code = f"{'AB'[int(rng.integers(0, 2))]}{int(rng.integers(1, 999)):03d}"
        strip_text = f"{code} | {width}x{height} | {stamp} | unit: mm | mag: {mag} | no calibration"
    elif strip == "bottom" and rng.uniform() < 0.5:
        strip_text = f"{stamp}  {mag}"
    scale_bar = bool(rng.uniform() < r.p_scale_bar)
    circle = None
    if rng.uniform() < r.p_circle:
        rad = rng.uniform(0.3, 0.9) * max(width, height)
        circle = (float(rng.uniform(-0.2, 1.2) * width), float(rng.uniform(-0.2, 1.2) * height), float(rad))
    # drawn last so earlier draws keep their values when settings are added
    defocus_tilt = _u(rng, r.defocus_tilt)
    defocus_deg = float(rng.uniform(0.0, 360.0))
    auto_exposure = _u(rng, r.auto_exposure)
    etched_scale = bool(rng.uniform() < r.p_etched_scale)
    return View(
        um_per_px=upp,
        width=width,
        height=height,
        centre_um=(float(centre_um[0]), float(centre_um[1])),
        rotation_deg=_u(rng, r.rotation_deg),
        illumination_gradient=_u(rng, r.illumination_gradient),
        illumination_deg=float(rng.uniform(0.0, 360.0)),
        vignetting=_u(rng, r.vignetting),
        exposure=_u(rng, r.exposure),
        auto_exposure=auto_exposure,
        white_balance=white_balance,
        defocus_px=_u(rng, r.defocus_px),
        defocus_tilt=defocus_tilt,
        defocus_deg=defocus_deg,
        noise_sigma=_u(rng, r.noise_sigma),
        jpeg_quality=None if q >= 100 else q,
        glare=glare,
        bubbles=bubbles,
        strip=strip,
        strip_text=strip_text,
        scale_bar=scale_bar,
        circle=circle,
        etched_scale=etched_scale,
    )
