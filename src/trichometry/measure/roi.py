"""The analysed area: whole frame, a circle, a polygon, or the trial target area.

A hair counts when its exit point lies inside the area (see ``docs/ARCHITECTURE.md``).
The area in cm^2 is the number of pixel centres inside the region, the frame and the
valid mask, times the pixel area: a circle clipped by the frame edge uses its true
clipped area.

Spec syntax for :meth:`Roi.parse` (whitespace ignored; units ``px`` (default), ``um`` or
``mm`` as one suffix after the last number, applied to every number; ``um``/``mm``
need a calibration):

* ``full`` (or an empty string): the whole frame.
* ``circle:CX,CY,R[unit]``, e.g. ``circle:640,512,300`` or ``circle:1.8,1.4,0.5mm``.
  ``CX,CY`` may be ``c,c`` for the frame centre: ``circle:c,c,2mm``.
* ``polygon:X1,Y1;X2,Y2;X3,Y3[;...][unit]``, e.g. ``polygon:0,0;600,0;600,400;0,400``.
* ``target-area[:A]``: circle of area ``A`` cm^2 (default 1) centred on the frame,
  clipped to the frame (the clipped area is used).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from trichometry.errors import CalibrationError, ConfigError

_UNIT_RE = re.compile(r"^(.*?)(px|um|mm)?$")


@dataclass(frozen=True)
class Roi:
    """A region of interest in pixel coordinates ``(x, y)`` (pixel centres at integers).

    Attributes:
        kind: ``"full"``, ``"circle"`` or ``"polygon"``.
        params: circle ``(cx, cy, r)`` or polygon ``((x1, y1), ...)``; empty for ``full``.
        centre_of_frame: circle centre is the frame centre, resolved per image.
        label: how the region was specified (kept in results).
    """

    kind: str
    params: tuple[Any, ...] = ()
    centre_of_frame: bool = False
    label: str = field(default="", compare=False)

    # -- constructors -------------------------------------------------------------
    @classmethod
    def full(cls) -> Roi:
        """The whole frame."""
        return cls("full", (), label="full")

    @classmethod
    def circle(cls, cx: float, cy: float, r: float) -> Roi:
        """A circle in pixels; ``r > 0``."""
        if not (r > 0 and math.isfinite(r) and math.isfinite(cx) and math.isfinite(cy)):
            raise ConfigError(f"circle ROI needs finite centre and radius > 0, got ({cx}, {cy}, {r}).")
        return cls("circle", (float(cx), float(cy), float(r)), label=f"circle:{cx:g},{cy:g},{r:g}")

    @classmethod
    def centred_circle(cls, r: float, label: str = "") -> Roi:
        """A circle of radius ``r`` px centred on whatever frame it is applied to."""
        if not (r > 0 and math.isfinite(r)):
            raise ConfigError(f"circle ROI radius must be > 0, got {r}.")
        return cls("circle", (0.0, 0.0, float(r)), centre_of_frame=True, label=label or f"circle:c,c,{r:g}")

    @classmethod
    def polygon(cls, points: Any) -> Roi:
        """A simple polygon from ``(N, 2)`` points ``(x, y)``, ``N >= 3``."""
        pts = np.asarray(points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
            raise ConfigError(f"polygon ROI needs at least 3 finite (x, y) points, got shape {pts.shape}.")
        x, y = pts[:, 0], pts[:, 1]
        if abs(0.5 * float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))) < 1e-9:
            raise ConfigError("polygon ROI has zero area; give at least 3 points that are not on one line.")
        params = tuple((float(a), float(b)) for a, b in pts)
        return cls("polygon", params, label="polygon:" + ";".join(f"{a:g},{b:g}" for a, b in params))

    @classmethod
    def parse(cls, spec: str | None, um_per_px: float | None) -> Roi:
        """Parse a text spec (see the module docstring for the syntax).

        Raises:
            ConfigError: malformed spec.
            CalibrationError: the spec uses ``um``/``mm`` or ``target-area`` but
                ``um_per_px`` is missing.
        """
        text = "" if spec is None else re.sub(r"\s+", "", str(spec)).lower()
        if text in ("", "full", "frame", "all"):
            return cls.full()
        kind, _, body = text.partition(":")
        if kind == "target-area":
            area = _num(body, spec) if body else 1.0
            if area <= 0:
                raise ConfigError(f"target-area must be > 0 cm^2, got {area} in {spec!r}.")
            scale = _scale("mm", um_per_px, spec)  # px per um-based length
            r_um = math.sqrt(area / math.pi) * 1e4
            return cls.centred_circle(r_um * scale / 1e3, label=text)
        m = _UNIT_RE.match(body)
        nums_text, unit = (m.group(1), m.group(2) or "px") if m else (body, "px")
        scale = _scale(unit, um_per_px, spec)
        if kind == "circle":
            parts = nums_text.split(",")
            if len(parts) != 3:
                raise ConfigError(f"circle ROI is 'circle:CX,CY,R[px|um|mm]', got {spec!r}.")
            r = _num(parts[2], spec) * scale
            if parts[0] == "c" and parts[1] == "c":
                return cls.centred_circle(r, label=text)
            return cls.circle(_num(parts[0], spec) * scale, _num(parts[1], spec) * scale, r)
        if kind == "polygon":
            try:
                pts = [[_num(v, spec) * scale for v in p.split(",")] for p in nums_text.split(";") if p]
            except ConfigError:
                raise
            if any(len(p) != 2 for p in pts):
                raise ConfigError(f"polygon ROI is 'polygon:X1,Y1;X2,Y2;...', got {spec!r}.")
            return cls.polygon(pts)
        raise ConfigError(
            f"unknown ROI {spec!r}; use 'full', 'circle:CX,CY,R[px|um|mm]', "
            "'polygon:X1,Y1;X2,Y2;...[px|um|mm]' or 'target-area[:CM2]'."
        )

    # -- geometry -----------------------------------------------------------------
    def resolved(self, shape: tuple[int, int]) -> Roi:
        """This ROI with a frame-centred circle placed on an ``(H, W)`` frame."""
        if not self.centre_of_frame:
            return self
        h, w = shape
        return Roi("circle", ((w - 1) / 2.0, (h - 1) / 2.0, self.params[2]), label=self.label)

    def mask(self, shape: tuple[int, int]) -> np.ndarray:
        """``(H, W)`` bool: pixel centres inside the region (and the frame)."""
        roi = self.resolved(shape)
        h, w = shape
        if roi.kind == "full":
            return np.ones((h, w), dtype=bool)
        if roi.kind == "circle":
            cx, cy, r = roi.params
            yy, xx = np.ogrid[:h, :w]
            return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        # polygon: rasterise at 1/16 px precision, then test pixel centres exactly via cv2
        pts = np.asarray(roi.params, dtype=np.float64)
        out = np.zeros((h, w), dtype=np.uint8)
        cv2.fillPoly(out, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
        return out.astype(bool)

    def contains(self, xy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """Whether each point of ``(N, 2)`` ``xy`` lies inside the region and the frame."""
        roi = self.resolved(shape)
        pts = np.asarray(xy, dtype=float).reshape(-1, 2)
        h, w = shape
        inside = (pts[:, 0] >= -0.5) & (pts[:, 0] < w - 0.5) & (pts[:, 1] >= -0.5) & (pts[:, 1] < h - 0.5)
        if roi.kind == "circle":
            cx, cy, r = roi.params
            inside &= (pts[:, 0] - cx) ** 2 + (pts[:, 1] - cy) ** 2 <= r * r
        elif roi.kind == "polygon":
            contour = np.asarray(roi.params, dtype=np.float32).reshape(-1, 1, 2)
            inside &= np.array(
                [cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0 for x, y in pts], dtype=bool
            )
        return inside

    def to_dict(self, shape: tuple[int, int] | None = None) -> dict[str, Any]:
        roi = self.resolved(shape) if shape is not None else self
        out: dict[str, Any] = {"kind": roi.kind, "spec": self.label or roi.kind}
        if roi.kind == "circle":
            out.update(cx_px=roi.params[0], cy_px=roi.params[1], r_px=roi.params[2])
        elif roi.kind == "polygon":
            out["points_px"] = [list(p) for p in roi.params]
        return out


def _num(text: str, spec: Any) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"cannot read number {text!r} in ROI {spec!r}.") from None
    if not math.isfinite(value):
        raise ConfigError(f"ROI {spec!r} contains a non-finite number.")
    return value


def _scale(unit: str, um_per_px: float | None, spec: Any) -> float:
    """Pixels per given unit."""
    if unit == "px":
        return 1.0
    if um_per_px is None or not (um_per_px > 0 and math.isfinite(um_per_px)):
        raise CalibrationError(
            f"ROI {spec!r} is given in physical units but the image has no scale; "
            "pass the um per pixel (--um-per-px) or give the ROI in pixels."
        )
    return (1000.0 if unit == "mm" else 1.0) / um_per_px
