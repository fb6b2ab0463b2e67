"""The one place where the service calls the analysis library.

:func:`default_analyser` turns stored image bytes into an
:class:`~trichometry.store.AnalysisRecord` (numbers, quality verdict, overlay, provenance).
It uses :func:`trichometry.analyze` when that entry point is installed, and otherwise the
same pipeline built from its parts (read + calibrate, quality check, classical detector or
model predictor, measurement). Anything else in the service only sees ``AnalysisRecord``,
so a change of the library's API touches this module only.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trichometry import __version__
from trichometry.errors import ConfigError
from trichometry.store.analyses import AnalysisRecord

log = logging.getLogger(__name__)

METHODS = ("classical", "model")


@dataclass(frozen=True)
class AnalysisSettings:
    """How photos are analysed.

    Attributes:
        method: ``"classical"`` (no weights needed) or ``"model"`` (needs ``checkpoint``).
        checkpoint: path of a model checkpoint written by ``train.py``.
        convention: thickness class convention (see :mod:`trichometry.measure.classes`).
    """

    method: str = "classical"
    checkpoint: str | None = None
    convention: str = "trichoscopy"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"unknown analysis method {self.method!r}; choose one of {', '.join(METHODS)}.")
        if self.method == "model" and not self.checkpoint:
            raise ConfigError("the model method needs a checkpoint (--checkpoint PATH); or use classical.")

    def config_hash(self, um_per_px: float | None) -> str:
        payload = json.dumps(
            {
                "method": self.method,
                "checkpoint": self.checkpoint,
                "convention": self.convention,
                "um": um_per_px,
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


# (image bytes, um_per_px or None, settings, progress callback 0..1) -> record
Analyser = Callable[[bytes, "float | None", AnalysisSettings, Callable[[float], None]], AnalysisRecord]


def summary_from_measurement(summary: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers the service stores and plots, from a measurement summary."""
    measured = summary.get("thickness_measured") or 0
    nonvellus = summary.get("non_vellus_count")
    vellus_share = None
    if nonvellus is not None and measured:
        vellus_share = (measured - nonvellus) / measured
    return {
        "count": int(summary.get("hair_count") or 0),
        "density_per_cm2": summary.get("density_per_cm2"),
        "nonvellus_density_per_cm2": summary.get("non_vellus_density_per_cm2"),
        "mean_thickness_um": summary.get("mean_diameter_um"),
        "vellus_share": vellus_share,
        "area_cm2": summary.get("area_cm2"),
    }


def render_overlay_png(image: np.ndarray, hairs: list[dict[str, Any]], verdict: str) -> bytes:
    """PNG of the photo with each counted hair's exit point and shaft drawn on it."""
    import cv2

    canvas = np.ascontiguousarray(image.copy())
    colour = {"ok": (40, 220, 90), "warn": (255, 190, 0), "reject": (255, 40, 40)}.get(verdict, (40, 220, 90))
    radius = max(2, round(min(image.shape[:2]) / 150))
    for h in hairs:
        ex, ey = h["exit_xy"]
        tx, ty = h.get("end_xy") or h["exit_xy"]
        cv2.line(canvas, (round(ex), round(ey)), (round(tx), round(ty)), (0, 170, 255), 1, cv2.LINE_AA)
        cv2.circle(canvas, (round(ex), round(ey)), radius, colour, -1, cv2.LINE_AA)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV failure
        raise RuntimeError("could not encode the overlay image")
    return buf.tobytes()


def _predict(image: np.ndarray, um_per_px: float | None, settings: AnalysisSettings):
    if settings.method == "classical":
        from trichometry.classical import ClassicalDetector

        return ClassicalDetector().predict(image, um_per_px=um_per_px)
    from trichometry.inference import Predictor  # type: ignore[attr-defined]

    loader = getattr(Predictor, "from_checkpoint", None)
    predictor = loader(settings.checkpoint) if loader is not None else Predictor(settings.checkpoint)
    return predictor.predict(image, um_per_px=um_per_px)


def _via_library_analyze(
    analyze: Callable[..., Any], data: bytes, um_per_px: float | None, settings: AnalysisSettings
) -> AnalysisRecord:
    from trichometry.io import read_image

    loaded = read_image(data, um_per_px=um_per_px)
    kw: dict[str, Any] = {"um_per_px": loaded.um_per_px, "method": settings.method}
    if settings.checkpoint:
        kw["checkpoint"] = settings.checkpoint
    result = analyze(loaded.image, **kw)
    d = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    quality = d.get("quality") or {}
    verdict = quality.get("verdict", "ok") if isinstance(quality, dict) else str(quality)
    measurement = d.get("measurement", d)
    summary = summary_from_measurement(measurement.get("summary", {}))
    overlay = getattr(result, "overlay", None)
    overlay = overlay() if callable(overlay) else overlay
    if isinstance(overlay, np.ndarray):
        overlay_png = render_overlay_png(overlay, [], verdict) if overlay.ndim == 3 else None
    else:
        overlay_png = render_overlay_png(loaded.image, measurement.get("hairs", []), verdict)
    src = d.get("source") or measurement.get("source") or {}
    return _record(settings, um_per_px, verdict, summary, d, overlay_png, src, loaded.image.shape)


def _record(settings, um_per_px, verdict, summary, result, overlay_png, src, shape) -> AnalysisRecord:
    result = dict(result)
    result.setdefault("width", int(shape[1]))
    result.setdefault("height", int(shape[0]))
    return AnalysisRecord(
        method=settings.method,
        model_name=str(src.get("name") or settings.method),
        model_version=str(src.get("version") or __version__),
        weights_sha256=str(src.get("sha256") or "-"),
        code_version=__version__,
        config_hash=settings.config_hash(um_per_px),
        quality=verdict,
        summary=summary,
        result=result,
        overlay_png=overlay_png,
    )


def default_analyser(
    data: bytes,
    um_per_px: float | None,
    settings: AnalysisSettings,
    progress: Callable[[float], None] = lambda _f: None,
) -> AnalysisRecord:
    """Analyse one stored photo with the project's library (see module docstring).

    Raises:
        TrichometryError subclasses for unreadable images or bad settings.
    """
    try:
        from trichometry import analyze  # type: ignore[attr-defined]
    except ImportError:
        analyze = None
    if callable(analyze):
        progress(0.1)
        return _via_library_analyze(analyze, data, um_per_px, settings)

    from trichometry.io import read_image
    from trichometry.measure import measure
    from trichometry.quality import assess_quality

    loaded = read_image(data, um_per_px=um_per_px)
    progress(0.1)
    quality = assess_quality(loaded.image, um_per_px=loaded.um_per_px)
    progress(0.25)
    pred = _predict(loaded.image, loaded.um_per_px, settings)
    progress(0.7)
    m = measure(
        loaded.image,
        pred,
        um_per_px=loaded.um_per_px,
        valid_mask=quality.valid_mask,
        convention=settings.convention,
    )
    progress(0.9)
    d = m.to_dict()
    d["quality"] = quality.to_dict()
    d["calibration"] = {"source": loaded.calibration_source, "note": loaded.calibration_note}
    overlay_png = render_overlay_png(loaded.image, d["hairs"], quality.verdict)
    return _record(
        settings,
        um_per_px,
        quality.verdict,
        summary_from_measurement(d["summary"]),
        d,
        overlay_png,
        m.source,
        loaded.image.shape,
    )


def png_to_array(data: bytes) -> np.ndarray:
    """Decode PNG/JPEG bytes to ``(H, W, 3)`` uint8 RGB (for tests and previews)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))
