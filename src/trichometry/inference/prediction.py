"""The per-pixel maps every detector produces, at the input image's resolution.

Both the learned models (:mod:`trichometry.inference`) and the classical baseline
produce a :class:`Prediction`; measurement (:mod:`trichometry.measure`) consumes it and
never needs to know which one made it. A detector that finds hairs as segments (the
segment network) also hands them over typed, in ``hairs``: then the engine counts and
measures those hairs instead of looking for peaks in ``exit_prob``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from trichometry.inference.segments import SegmentHairs


@dataclass(frozen=True)
class DetectorHints:
    """How the measurement engine should read a detector's maps (behaviour, not provenance).

    Attributes:
        coarse_diameter_map: the diameter map holds mask widths (classical, segment
            detectors): a valid image profile always wins over it.
        one_exit_per_shaft: the detector already chose one end per shaft, so there are no
            far-end exit peaks for the engine to drop.
        exit_min_distance_px: the calibrated smallest distance between two exit peaks, in
            this image's pixels (``None``: the engine's default).
        diameter_map_rel_error: the diameter head's relative error from calibration; above
            the engine's tolerance the map counts as coarse.
    """

    coarse_diameter_map: bool = False
    one_exit_per_shaft: bool = False
    exit_min_distance_px: float | None = None
    diameter_map_rel_error: float | None = None


@dataclass
class Prediction:
    """Dense outputs for one image, all ``(H, W)`` float32 and aligned with the input.

    Attributes:
        shaft_prob: probability that the pixel lies on a hair shaft, in ``[0, 1]``.
        exit_prob: exit-point heatmap in ``[0, 1]``: one peak where each hair leaves the
            skin (so hairs sharing an opening or crossing still give one peak each).
        diameter_px: local shaft diameter in *input-image pixels* (meaningful on shaft
            pixels); multiply by the image's um per pixel for micrometres.
        source: provenance: ``{"method": "model"|"classical", "name", "version",
            "sha256", ...}``; copied into every result built from this prediction.
        hairs: the detector's hairs as segments (root = exit point), in input pixels,
            scores calibrated like ``exit_prob``; ``None`` for detectors of maps only.
        hints: how the engine should read the maps (:class:`DetectorHints`); ``source``
            only records where the prediction came from and never steers the engine.
    """

    shaft_prob: np.ndarray
    exit_prob: np.ndarray
    diameter_px: np.ndarray
    source: dict[str, Any] = field(default_factory=dict)
    hairs: SegmentHairs | None = None
    hints: DetectorHints = field(default_factory=DetectorHints)

    def __post_init__(self) -> None:
        shapes = {self.shaft_prob.shape, self.exit_prob.shape, self.diameter_px.shape}
        if len(shapes) != 1 or len(self.shaft_prob.shape) != 2:
            raise ValueError(f"Prediction maps must share one (H, W) shape, got {sorted(shapes)}")

    @property
    def shape(self) -> tuple[int, int]:
        return self.shaft_prob.shape  # type: ignore[return-value]
