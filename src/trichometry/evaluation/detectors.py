"""Methods under evaluation: each turns a photo into hairs (and, if it can, a shaft mask).

* ``truth``: the generator's exit points and diameters (an oracle: isolates the error of
  registration, matching and the statistics from detection error);
* ``perturbed``: the oracle with independent misses, false detections and jitter
  (:class:`Perturbation`): what detection quality do the change measures need?
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

METHODS = ("truth", "perturbed", "classical", "model")


@dataclass(frozen=True)
class Perturbation:
    """A degraded oracle: the truth with independent misses, extra detections and jitter.

    Not a detector: a sensitivity analysis of what detection quality the change measures
    need. Each photo draws its own errors (seeded by its id), so misses do not persist
    across visits (the harder case for hair-to-hair matching).
    """

    miss: float = 0.05  # share of true hairs not reported
    extra: float = 0.05  # false detections, as a share of the true count
    jitter_um: float = 8.0  # exit-point localisation error (SD per axis)
    diameter_sd_um: float = 3.0  # thickness measurement error (SD)


def perturbed_points(photo: Photo, p: Perturbation) -> HairPoints:
    """The truth of ``photo`` degraded by ``p`` (deterministic per ``photo.image_id``)."""
    import zlib

    truth = HairPoints.from_truth(photo.truth)
    rng = np.random.default_rng([zlib.crc32(photo.image_id.encode()), 0xD37])
    keep = rng.random(len(truth)) >= p.miss
    upp = truth.um_per_px
    xy = truth.xy_px[keep] + rng.normal(0.0, p.jitter_um / upp, (int(keep.sum()), 2))
    dia = truth.diameter_um[keep] + rng.normal(0.0, p.diameter_sd_um, int(keep.sum()))
    n_extra = rng.poisson(p.extra * len(truth))
    extra_xy = rng.uniform([-0.5, -0.5], [truth.width - 0.5, truth.height - 0.5], (n_extra, 2))
    extra_d = rng.uniform(15.0, 90.0, n_extra)
    inside = (
        (xy[:, 0] >= -0.5)
        & (xy[:, 0] < truth.width - 0.5)
        & (xy[:, 1] >= -0.5)
        & (xy[:, 1] < truth.height - 0.5)
    )
    return HairPoints(
        np.vstack([xy[inside], extra_xy]), np.concatenate([dia[inside], extra_d]), upp,
        truth.width, truth.height, image=photo.image,
    )  # fmt: skip


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
    # sub-threshold exit peaks: matching may rescue one where the other visit has a hair
    cand = getattr(measurement, "candidates_xy", None)
    se = np.array(
        [np.nan if h.thickness_se_um is None else float(h.thickness_se_um) for h in measurement.hairs]
    )
    pts = HairPoints(
        xy, dia, photo.truth.um_per_px, w, h, image=photo.image, candidates_xy=cand, diameter_se_um=se
    )
    return Detection(pts, np.asarray(prediction.shaft_prob) >= 0.5)


def _predictor_detector(predict: Callable[[np.ndarray, float], object]) -> Detector:
    from trichometry.measure import measure

    def detect(photo: Photo) -> Detection:
        upp = photo.truth.um_per_px
        pred = predict(photo.image, upp)
        return _from_measurement(photo, pred, measure(photo.image, pred, um_per_px=upp))

    return detect


def get_detector(
    name: str, checkpoint: str | None = None, perturbation: Perturbation | None = None
) -> Detector:
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
    if name == "perturbed":
        pert = perturbation or Perturbation()
        return lambda photo: Detection(perturbed_points(photo, pert))
    if name in ("classical", "model"):
        from trichometry.analysis import get_detector as analysis_detector

        det = analysis_detector(name, checkpoint if name == "model" else None)
        return _predictor_detector(lambda image, upp: det.predict(image, um_per_px=upp))
    raise ConfigError(f"unknown evaluation method {name!r}; use one of: {', '.join(METHODS)}.")
