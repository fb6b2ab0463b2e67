"""One call from an image to counted, measured hairs: read -> quality -> infer -> measure.

Example::

    import trichometry
    r = trichometry.analyze("scalp.jpg", device="fdu-70x", method="classical")
    r.status, r.quality.verdict, r.to_dict()["density_per_cm2"]

A quality ``reject`` still returns a result (status ``"rejected"``) carrying the reasons
and no numbers; unreadable input raises :class:`~trichometry.errors.ImageRejected`.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from trichometry import __version__
from trichometry.errors import ConfigError
from trichometry.inference.prediction import Prediction
from trichometry.io import LoadedImage, read_image
from trichometry.quality import QualityReport, QualityThresholds, assess_quality

logger = logging.getLogger(__name__)

METHODS = ("model", "classical")


class Detector(Protocol):
    """Anything that turns an RGB image into a :class:`Prediction`."""

    def predict(self, image_rgb: np.ndarray, um_per_px: float | None) -> Prediction: ...


@lru_cache(maxsize=4)
def _model_from_path(path: str) -> Detector:
    from trichometry.inference.loading import load_predictor

    return load_predictor(path)


def get_detector(method: str = "model", model: str | os.PathLike[str] | Detector | None = None) -> Detector:
    """The detector for ``method``; loaded once per process and path.

    Args:
        method: ``"model"`` (the learned network) or ``"classical"`` (no-learning baseline).
        model: a ready detector (any method), or for ``"model"`` a checkpoint path;
            ``None`` uses the shipped model (or ``$TRICHOMETRY_MODEL``) / a default
            :class:`~trichometry.classical.ClassicalDetector`.

    Raises:
        ConfigError: unknown method, or a checkpoint given with ``classical``.
        CheckpointError: the model cannot be loaded.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; use one of {', '.join(METHODS)}.")
    if model is not None and not isinstance(model, (str, os.PathLike)):
        return model  # a ready detector
    if method == "classical":
        if model is not None:
            raise ConfigError("--model names a checkpoint; the classical method uses none. Drop one of them.")
        from trichometry.classical import ClassicalDetector

        return ClassicalDetector()
    if model is None:
        from trichometry.inference import load_default_predictor

        return load_default_predictor()
    return _model_from_path(str(Path(model).resolve()))


@dataclass
class AnalysisResult:
    """Everything known about one analysed image.

    Attributes:
        status: ``"ok"`` (measured; see ``quality.verdict`` for warnings) or ``"rejected"``
            (quality verdict reject: no numbers).
        loaded: the read image with calibration and provenance.
        quality: the quality report (its ``valid_mask`` was used as the analysed area).
        measurement: :class:`trichometry.measure.Measurement`, ``None`` when rejected.
        method: ``"model"`` or ``"classical"``.
        model: provenance of the detector (``name``, ``version``, ``sha256``, ...).
        convention: thickness convention name asked for.
        roi: the analysed region as ``Roi.to_dict`` (``kind``, ``spec``, pixel geometry).
        timings_s: seconds for ``read``, ``quality``, ``infer``, ``measure`` and ``total``.
        flags: short machine-readable warnings (``uncalibrated``, ``quality-warn``, ...).
    """

    status: str
    loaded: LoadedImage = field(repr=False)
    quality: QualityReport = field(repr=False)
    measurement: Any | None
    method: str
    model: dict[str, Any]
    convention: str
    roi: dict[str, Any]
    timings_s: dict[str, float]
    flags: list[str] = field(default_factory=list)
    trichometry_version: str = __version__

    @property
    def image(self) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB as analysed."""
        return self.loaded.image

    @property
    def um_per_px(self) -> float | None:
        return self.loaded.um_per_px

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (see :mod:`trichometry.outputs.schema`)."""
        from trichometry.outputs.schema import result_to_dict

        return result_to_dict(self)


def _model_info(detector: Detector, method: str, prediction: Prediction | None) -> dict[str, Any]:
    src = dict(prediction.source) if prediction is not None else dict(getattr(detector, "source", {}) or {})
    info = {
        "method": method,
        "name": src.get("name", "classical" if method == "classical" else type(detector).__name__),
        "version": src.get("version", __version__ if method == "classical" else None),
        "sha256": src.get("sha256"),
    }
    info.update({k: v for k, v in src.items() if k not in info and isinstance(v, (str, int, float, bool))})
    return info


def analyze(
    image: str | os.PathLike[str] | bytes | np.ndarray,
    *,
    um_per_px: float | None = None,
    device: str | None = None,
    magnification: float | None = None,
    roi: Any = None,
    method: str = "model",
    model: str | os.PathLike[str] | Detector | None = None,
    convention: str = "trichoscopy",
    thresholds: QualityThresholds | None = None,
) -> AnalysisResult:
    """Read, check, detect and measure one image.

    Args:
        image: a path, the file's bytes, or an ``(H, W, 3)`` uint8 RGB array.
        um_per_px: explicit scale (wins over DICOM Pixel Spacing and device profiles).
        device, magnification: a device profile (``trichometry.io.load_device_profiles``).
        roi: ``None`` (whole frame), a :class:`trichometry.measure.Roi`, or a spec string
            such as ``"circle:c,c,2mm"`` or ``"target-area"`` (see ``Roi.parse``).
        method: ``"model"`` or ``"classical"``.
        model: checkpoint path or ready detector (``None``: the default for ``method``).
        convention: thickness class convention (``trichoscopy``, ``trichoscan``, ``trial``,
            ``custom:C1,C2``).
        thresholds: quality limits.

    Returns:
        :class:`AnalysisResult`.

    Raises:
        ImageRejected: unreadable, truncated, not an image, too large.
        CalibrationError, ConfigError, CheckpointError: invalid options or model.
    """
    from trichometry.measure import Roi, get_convention, measure

    get_convention(convention)  # fail fast on a typo, before any work
    t_load = time.perf_counter()
    detector = get_detector(method, model)
    t0 = time.perf_counter()
    loaded = read_image(image, um_per_px=um_per_px, device=device, magnification=magnification)
    t_read = time.perf_counter()
    roi_obj = roi if isinstance(roi, Roi) else Roi.parse(None if roi is None else str(roi), loaded.um_per_px)
    roi_dict = roi_obj.to_dict(loaded.image.shape[:2])
    quality = assess_quality(loaded.image, loaded.um_per_px, thresholds)
    t_q = time.perf_counter()
    flags = [] if loaded.um_per_px is not None else ["uncalibrated"]
    if quality.verdict != "ok":
        flags.append(f"quality-{quality.verdict}")
    timings = {"load_model": t0 - t_load, "read": t_read - t0, "quality": t_q - t_read}
    timings.update(infer=0.0, measure=0.0)

    def _result(status: str, measurement: Any, prediction: Any) -> AnalysisResult:
        return AnalysisResult(
            status=status,
            loaded=loaded,
            quality=quality,
            measurement=measurement,
            method=method,
            model=_model_info(detector, method, prediction),
            convention=convention,
            roi=roi_dict,
            timings_s=timings,
            flags=flags,
        )

    if quality.verdict == "reject":
        logger.warning("%s rejected by quality control: %s", loaded.source, "; ".join(quality.reasons))
        timings["total"] = time.perf_counter() - t0
        return _result("rejected", None, None)
    prediction = detector.predict(loaded.image, loaded.um_per_px)
    t_inf = time.perf_counter()
    m = measure(
        loaded.image,
        prediction,
        um_per_px=loaded.um_per_px,
        roi=roi_obj,
        valid_mask=quality.valid_mask,
        convention=convention,
    )
    t_m = time.perf_counter()
    timings.update(infer=t_inf - t_q, measure=t_m - t_inf, total=t_m - t0)
    if prediction.source.get("um_per_px_assumed"):
        flags.append("model-scale-assumed")  # uncalibrated: the model ran at its own canonical scale
    flags += [f for f in m.flags if f not in flags]
    return _result("ok", m, prediction)
