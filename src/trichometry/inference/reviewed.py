"""A reviewer's hairs as a detector, so reviewed hairs are measured by the same engine.

A clinician who removes a false hair, adds a missed one, moves an exit or marks a hair
"not assessable" hands over a list of :class:`ReviewedHair`. :class:`ReviewedDetector`
turns that list into the same :class:`~trichometry.inference.prediction.Prediction` a
segment detector gives (one straight segment per hair, exit = root), and
:func:`trichometry.analyze` then reads, checks and measures the photo exactly as it does
for the detector: widths from the image, density with its interval, vellus share,
units. There is no second way to compute a number from reviewed hairs.

The payload format (JSON, also what the web page sends) is one object per hair::

    {"exit": [x, y], "end": [x, y], "assessable": true, "origin": 3}

``exit`` is where the hair leaves the skin, ``end`` a point further along its shaft
(image pixels); ``origin`` the hair's id in the version it was edited from (``null`` for
a hair the reviewer added); ``assessable`` false counts the hair without a width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trichometry.errors import DataFormatError
from trichometry.inference.prediction import DetectorHints, Prediction
from trichometry.inference.segments import SegmentHairs

MAX_HAIRS = 5000  # more than any 70x photo holds; a larger list is a mistake or an attack
MIN_LENGTH_PX = 2.0  # exit and end must differ: the shaft direction comes from them
DEFAULT_WIDTH_UM = 60.0  # every hair's width hint (the frame detector's); the profile fit refines it
DEFAULT_WIDTH_PX = 20.0  # the same for an uncalibrated photo


@dataclass(frozen=True)
class ReviewedHair:
    """One hair of a reviewed version (image pixels)."""

    exit_xy: tuple[float, float]
    end_xy: tuple[float, float]
    assessable: bool = True
    origin: int | None = None
    same_as: dict[str, Any] | None = None  # {"image_sha256", "exit": [x, y]}: joined to a baseline hair

    def to_dict(self) -> dict[str, Any]:
        out = {"exit": list(self.exit_xy), "end": list(self.end_xy), "assessable": self.assessable,
               "origin": self.origin}  # fmt: skip
        if self.same_as is not None:
            out["same_as"] = self.same_as
        return out


def _point(v: Any, what: str, shape: tuple[int, int]) -> tuple[float, float]:
    h, w = shape
    try:
        x, y = (float(c) for c in v)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{what} must be [x, y] in pixels, got {v!r}.") from exc
    if not (math.isfinite(x) and math.isfinite(y)) or not (-0.5 <= x <= w - 0.5 and -0.5 <= y <= h - 0.5):
        raise DataFormatError(f"{what} {v!r} lies outside the {w}x{h} photo.")
    return x, y


def parse_hairs(payload: Any, shape: tuple[int, int]) -> list[ReviewedHair]:
    """Validate a reviewed hair list (see the module docstring) for a photo of ``shape``.

    Raises:
        DataFormatError: not a list, too long, or a hair with a missing or impossible
            field (the message names the hair and the field).
    """
    if not isinstance(payload, list):
        raise DataFormatError("hairs must be a list of {exit, end, assessable, origin} objects.")
    if len(payload) > MAX_HAIRS:
        raise DataFormatError(f"{len(payload)} hairs is more than {MAX_HAIRS}; send one photo's hairs only.")
    out = []
    for i, item in enumerate(payload, 1):
        if not isinstance(item, dict) or "exit" not in item or "end" not in item:
            raise DataFormatError(f"hair {i}: needs 'exit' and 'end' as [x, y].")
        p, q = _point(item["exit"], f"hair {i} exit", shape), _point(item["end"], f"hair {i} end", shape)
        if math.hypot(q[0] - p[0], q[1] - p[1]) < MIN_LENGTH_PX:
            raise DataFormatError(f"hair {i}: its end must lie at least {MIN_LENGTH_PX:g} px from its exit.")
        origin = item.get("origin")
        if origin is not None and (isinstance(origin, bool) or not isinstance(origin, int) or origin < 1):
            raise DataFormatError(f"hair {i}: origin must be a hair id (1, 2, ...) or null, got {origin!r}.")
        assessable = item.get("assessable", True)
        if not isinstance(assessable, bool):
            raise DataFormatError(f"hair {i}: assessable must be true or false, got {assessable!r}.")
        out.append(ReviewedHair(p, q, assessable, origin, _same_as(item.get("same_as"), i)))
    return out


def _same_as(v: Any, i: int) -> dict[str, Any] | None:
    """A join to a baseline hair: ``{"image_sha256": 64 hex digits, "exit": [x, y]}``."""
    if v is None:
        return None
    sha = v.get("image_sha256") if isinstance(v, dict) else None
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha.lower())):
        raise DataFormatError(f"hair {i}: same_as needs the baseline photo's image_sha256 (64 hex digits).")
    try:
        x, y = (float(c) for c in v.get("exit"))
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"hair {i}: same_as needs the baseline hair's exit as [x, y].") from exc
    if not (math.isfinite(x) and math.isfinite(y)):
        raise DataFormatError(f"hair {i}: same_as exit must be finite numbers.")
    return {"image_sha256": sha.lower(), "exit": [x, y]}


def hairs_of_document(doc: dict[str, Any]) -> list[ReviewedHair]:
    """The hairs of an analysis document (``AnalysisResult.to_dict``) as a reviewed list:
    the starting point of a review. No width hint travels: every hair starts from the
    detector's own 60 um placeholder (:data:`DEFAULT_WIDTH_UM`, the frame detector's),
    so an unchanged hair is cut and fitted as the detector's analysis did."""
    out = []
    for h in doc.get("hairs") or []:
        exit_xy, end_xy = (float(h["x_px"]), float(h["y_px"])), (float(h["end_x_px"]), float(h["end_y_px"]))
        keep = bool(h.get("assessable", True))
        out.append(ReviewedHair(exit_xy, end_xy, keep, int(h["hair_id"]), h.get("same_as")))
    return out


class ReviewedDetector:
    """A :class:`~trichometry.analysis.Detector` that returns the reviewed hairs.

    Args:
        hairs: the reviewed list.
        source: provenance of the analysis the review started from (method, name,
            version, sha256); the prediction's source records both.
    """

    def __init__(self, hairs: Sequence[ReviewedHair], source: dict[str, Any] | None = None) -> None:
        self.hairs = list(hairs)
        self.source = {**(source or {}), "reviewed": True}
        self.name = str(self.source.get("name") or "reviewed")

    def predict(self, image_rgb: np.ndarray, um_per_px: float | None = None) -> Prediction:
        from trichometry.inference.candidates import draw_maps

        h, w = image_rgb.shape[:2]
        n = len(self.hairs)
        roots = np.array([r.exit_xy for r in self.hairs], float).reshape(n, 2)
        tips = np.array([r.end_xy for r in self.hairs], float).reshape(n, 2)
        hint = DEFAULT_WIDTH_UM / um_per_px if um_per_px else DEFAULT_WIDTH_PX
        widths = np.full(n, hint)
        hairs = SegmentHairs(
            roots, tips, (roots + tips) / 2, np.ones(n), widths, np.array([r.assessable for r in self.hairs])
        )
        shaft, exit_, diam = draw_maps(hairs, h, w)
        source = {**self.source, "um_per_px": um_per_px}
        hints = DetectorHints(coarse_diameter_map=True, one_exit_per_shaft=True)
        return Prediction(shaft, exit_, diam, source=source, hairs=hairs, hints=hints)
