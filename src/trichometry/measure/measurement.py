"""Result dataclasses of a measurement: one record per hair and the image summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from trichometry.utils.encoding import json_safe

SCHEMA_VERSION = 1


@dataclass
class HairMeasurement:
    """One counted hair.

    Attributes:
        hair_id: 1-based, in order of exit-peak strength.
        exit_xy: exit point ``(x, y)`` px.
        end_xy: visible end of the traced shaft ``(x, y)`` px.
        direction_deg: exit -> tip direction, 0 = +x (right), 90 = up.
        length_px / length_um: visible length along the shaft (a lower bound when
            ``reaches_border``).
        diameter_profile_px: width from the image intensity profile (sub-pixel; by the
            engine's ``profile_method``, default the optics fit of :mod:`.optics_width`).
        diameter_profile_se_px: its standard error (optics fit only).
        diameter_edge_px: the steepest-edge width of the same sections (for comparison).
        diameter_map_px: median of the prediction's ``diameter_px`` over the same stretch.
        thickness_px / thickness_um: the reported diameter (see ``thickness_source``).
        thickness_se_px / thickness_se_um: standard error of the reported diameter (the
            fit's for a profile; the map's calibrated relative error for a map; ``None``
            where neither is known).
        thickness_source: ``"profile"`` or ``"map"`` (``None``: neither available).
        profile_flag: why the profile gave no width (``"short_trace"``, ``"few_sections"``),
            ``None`` when it did.
        agreement: ``profile / map - 1`` (relative difference), ``None`` if either is missing.
        profile_valid_sections: cross-sections that gave a width / tried.
        contrast: shaft-minus-skin darkness in grey levels.
        class_name: thickness class under the result's convention (``None`` if uncalibrated).
        class_confidence: probability that the true diameter lies in that class, given
            ``thickness_se_um`` (1.0 where no error is known); low near a cut-off.
        unit_id: follicular unit (0-based), ``None`` when units were not computed.
        exit_score: exit heatmap value at the peak.
    """

    hair_id: int
    exit_xy: tuple[float, float]
    end_xy: tuple[float, float]
    direction_deg: float
    length_px: float
    length_um: float | None
    reaches_border: bool
    diameter_profile_px: float | None
    diameter_half_depth_px: float | None
    diameter_map_px: float | None
    thickness_px: float | None
    thickness_um: float | None
    thickness_source: str | None
    agreement: float | None
    profile_valid_sections: tuple[int, int]
    contrast: float
    class_name: str | None = None
    unit_id: int | None = None
    exit_score: float = 1.0
    diameter_profile_se_px: float | None = None
    diameter_edge_px: float | None = None
    thickness_se_px: float | None = None
    thickness_se_um: float | None = None
    profile_flag: str | None = None
    class_confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))


@dataclass
class Measurement:
    """Everything measured in one image (or one ROI of it).

    Attributes:
        hairs: counted hairs (exit point inside the analysed area).
        summary: counts, densities with exact 95 % intervals, thickness statistics,
            class split, follicular units, directions, evenness (see ``to_dict``).
        convention: thickness convention (name, cut-offs, labels).
        roi: the analysed region.
        um_per_px: scale used, ``None`` when uncalibrated.
        source: the prediction's provenance (method, name, version, sha256, ...).
        flags: warnings a reader should see (``uncalibrated``, ``few_hairs``, ...).
        image_shape: ``(H, W)``.
        params: measurement parameters used (for reproducibility).
        candidates_xy: ``(C, 2)`` sub-threshold exit peaks ``(x, y)`` px in the analysed
            area (``MeasureConfig.candidate_ratio``): not traced, not counted, in no summary
            figure; visit matching may rescue one where the other visit has a hair there.
        candidate_scores: ``(C,)`` exit heatmap value at each candidate peak.
    """

    hairs: list[HairMeasurement]
    summary: dict[str, Any]
    convention: dict[str, Any]
    roi: dict[str, Any]
    um_per_px: float | None
    source: dict[str, Any]
    flags: list[str] = field(default_factory=list)
    image_shape: tuple[int, int] = (0, 0)
    params: dict[str, Any] = field(default_factory=dict)
    candidates_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    candidate_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def hair_count(self) -> int:
        return len(self.hairs)

    @property
    def calibrated(self) -> bool:
        return self.um_per_px is not None

    def exit_points(self) -> np.ndarray:
        """``(N, 2)`` exit points ``(x, y)`` of the counted hairs."""
        return np.asarray([h.exit_xy for h in self.hairs], dtype=float).reshape(-1, 2)

    def candidates(self) -> list[dict[str, float]]:
        """The candidates as ``{"x_px", "y_px", "score"}`` records (strongest first)."""
        xy = np.asarray(self.candidates_xy, dtype=float).reshape(-1, 2)
        scores = np.asarray(self.candidate_scores, dtype=float).reshape(-1)
        return [{"x_px": float(x), "y_px": float(y), "score": float(s)} for (x, y), s in zip(xy, scores)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema version 1; NaN written as ``null``)."""
        return json_safe(
            {
                "schema_version": SCHEMA_VERSION,
                "image_shape": list(self.image_shape),
                "calibrated": self.calibrated,
                "um_per_px": self.um_per_px,
                "convention": self.convention,
                "roi": self.roi,
                "source": self.source,
                "flags": self.flags,
                "params": self.params,
                "summary": self.summary,
                "hairs": [h.to_dict() for h in self.hairs],
                "candidates": self.candidates(),
            }
        )
