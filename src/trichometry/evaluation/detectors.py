"""Methods under evaluation: each turns a photo into hairs (and, if it can, a shaft mask).

* ``truth``: the generator's exit points and diameters (an oracle: isolates the error of
  registration, matching and the statistics from detection error);
* ``classical``: :class:`trichometry.classical.ClassicalDetector` + :func:`trichometry.measure.measure`;
* ``model``: the learned network from ``checkpoint`` (default: the shipped model) +
  :func:`trichometry.measure.measure`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trichometry.errors import ConfigError
from trichometry.evaluation.cohort import Photo
from trichometry.visits.hairs import HairPoints

logger = logging.getLogger(__name__)

METHODS = ("truth", "classical", "model")


@dataclass
class Detection:
    """What a method found in one photo."""

    points: HairPoints
    shaft_mask: np.ndarray | None = None  # (H, W) bool


Detector = Callable[[Photo], Detection]


def _from_measurement(photo: Photo, prediction, measurement) -> Detection:  # type: ignore[no-untyped-def]
    xy = measurement.exit_points()
    dia = np.array(
        [np.nan if h.thickness_um is None else float(h.thickness_um) for h in measurement.hairs],
        dtype=np.float64,
    )
    h, w = photo.image.shape[:2]
    pts = HairPoints(xy, dia, photo.truth.um_per_px, w, h, image=photo.image)
    return Detection(pts, np.asarray(prediction.shaft_prob) >= 0.5)


def _predictor_detector(predict: Callable[[np.ndarray, float], object]) -> Detector:
    from trichometry.measure import measure

    def detect(photo: Photo) -> Detection:
        upp = photo.truth.um_per_px
        pred = predict(photo.image, upp)
        return _from_measurement(photo, pred, measure(photo.image, pred, um_per_px=upp))

    return detect


def get_detector(name: str, checkpoint: str | None = None) -> Detector:
    """The detector of a method name (see :data:`METHODS`).

    Raises:
        ConfigError: unknown name, or ``model`` without a checkpoint.
    """
    if name == "truth":

        def truth(photo: Photo) -> Detection:
            t = photo.targets
            return Detection(HairPoints.from_truth(photo.truth, image=photo.image),
                             None if t is None else t.shaft_mask.astype(bool))  # fmt: skip

        return truth
    if name in ("classical", "model"):
        from trichometry.analysis import get_detector as analysis_detector

        det = analysis_detector(name, checkpoint if name == "model" else None)
        return _predictor_detector(lambda image, upp: det.predict(image, um_per_px=upp))
    raise ConfigError(f"unknown evaluation method {name!r}; use one of: {', '.join(METHODS)}.")
