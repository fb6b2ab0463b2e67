"""Methods under evaluation: each turns a photo into hairs (and, if it can, a shaft mask).

* ``truth``: the generator's exit points and diameters (an oracle: isolates the error of
  registration, matching and the statistics from detection error);
* ``perturbed``: the oracle with independent misses, false detections and jitter
  (:class:`Perturbation`): what detection quality do the change measures need?
* ``classical``: :class:`trichometry.classical.ClassicalDetector`;
* ``model``: the learned network from ``checkpoint`` (default: the shipped model).

``classical`` and ``model`` run the pipeline clinicians use, :func:`trichometry.analyze`:
quality control on (its valid mask is the analysed area), detector, measurement. A photo
that quality control rejects carries no hairs (``Detection.rejected`` says why): like the
clinic, the scoring leaves it out of its visit and counts it.
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
    rejected: str | None = None  # quality control's reasons when the photo was rejected


Detector = Callable[[Photo], Detection]


class _Recording:
    """A detector that keeps its last prediction (for the shaft mask the scoring compares)."""

    def __init__(self, detector: object) -> None:
        self.detector = detector
        self.source = getattr(detector, "source", {})
        self.last = None

    def predict(self, image_rgb: np.ndarray, um_per_px: float | None = None):  # type: ignore[no-untyped-def]
        self.last = self.detector.predict(image_rgb, um_per_px=um_per_px)  # type: ignore[attr-defined]
        return self.last


def _pipeline_detector(method: str, detector: object) -> Detector:
    from trichometry.analysis import analyze

    rec = _Recording(detector)

    def detect(photo: Photo) -> Detection:
        upp = photo.truth.um_per_px
        rec.last = None
        result = analyze(photo.image, um_per_px=upp, method=method, model=rec)
        if result.status == "rejected":
            h, w = photo.image.shape[:2]
            empty = HairPoints(np.zeros((0, 2)), np.zeros(0), upp, w, h, image=photo.image)
            return Detection(empty, None, "; ".join(result.quality.reasons) or "rejected")
        points = HairPoints.from_analysis(result)
        mask = None if rec.last is None else np.asarray(rec.last.shaft_prob) >= 0.5
        return Detection(points, mask)

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

        return _pipeline_detector(name, analysis_detector(name, checkpoint if name == "model" else None))
    raise ConfigError(f"unknown evaluation method {name!r}; use one of: {', '.join(METHODS)}.")
