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
        checkpoint: path of a model checkpoint written by ``train.py`` (``None``: the
            library's default model for ``"model"``).
        convention: thickness class convention (see :mod:`trichometry.measure.classes`).
    """

    method: str = "classical"
    checkpoint: str | None = None
    convention: str = "trichoscopy"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"unknown analysis method {self.method!r}; choose one of {', '.join(METHODS)}.")

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


def summary_from_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers the service stores and plots, from an analysis JSON document."""
    inner = doc.get("summary") or {}
    measured = inner.get("thickness_measured") or 0
    nonvellus = inner.get("non_vellus_count")
    vellus_share = (measured - nonvellus) / measured if nonvellus is not None and measured else None
    rejected = doc.get("status") == "rejected"
    return {
        "count": None if rejected else int(doc.get("hair_count") or 0),
        "density_per_cm2": doc.get("density_per_cm2"),
        "nonvellus_density_per_cm2": doc.get(
            "non_vellus_density_per_cm2", inner.get("non_vellus_density_per_cm2")
        ),
        "mean_thickness_um": doc.get("mean_thickness_um"),
        "vellus_share": vellus_share,
        "area_cm2": doc.get("area_cm2"),
    }


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an ``(H, W, 3)`` uint8 RGB array."""
    import cv2

    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - OpenCV failure
        raise RuntimeError("could not encode the overlay image")
    return buf.tobytes()


def draw_hairs(image: np.ndarray, hairs: list[dict[str, Any]], verdict: str) -> np.ndarray:
    """The photo with each hair's exit point (dot) and shaft (line) drawn (``x_px``/``end_x_px`` keys)."""
    import cv2

    canvas = np.ascontiguousarray(image.copy())
    colour = {"ok": (40, 220, 90), "warn": (255, 190, 0), "reject": (255, 40, 40)}.get(verdict, (40, 220, 90))
    radius = max(2, round(min(image.shape[:2]) / 150))
    for h in hairs:
        ex, ey = round(h["x_px"]), round(h["y_px"])
        tx, ty = round(h.get("end_x_px", h["x_px"])), round(h.get("end_y_px", h["y_px"]))
        cv2.line(canvas, (ex, ey), (tx, ty), (0, 170, 255), 1, cv2.LINE_AA)
        cv2.circle(canvas, (ex, ey), radius, colour, -1, cv2.LINE_AA)
    return canvas


def _record(settings, um_per_px, verdict, doc, overlay_png, model: dict[str, Any]) -> AnalysisRecord:
    return AnalysisRecord(
        method=settings.method,
        model_name=str(model.get("name") or settings.method),
        model_version=str(model.get("version") or __version__),
        weights_sha256=str(model.get("sha256") or "-"),
        code_version=__version__,
        config_hash=settings.config_hash(um_per_px),
        quality=verdict,
        summary=summary_from_document(doc),
        result=doc,
        overlay_png=overlay_png,
    )


def _with_library(analyze, data, um_per_px, settings, progress) -> AnalysisRecord:
    progress(0.1)
    result = analyze(
        data,
        um_per_px=um_per_px,
        method=settings.method,
        model=settings.checkpoint,
        convention=settings.convention,
    )
    progress(0.85)
    doc = result.to_dict()
    try:
        from trichometry.outputs.overlay import render_overlay

        overlay = render_overlay(result, doc)
    except ImportError:
        overlay = draw_hairs(result.image, doc.get("hairs") or [], result.quality.verdict)
    return _record(settings, um_per_px, result.quality.verdict, doc, encode_png(overlay), dict(result.model))


def _with_parts(data, um_per_px, settings, progress) -> AnalysisRecord:
    """The same pipeline from its parts, for installations without ``trichometry.analyze``."""
    from trichometry.io import read_image
    from trichometry.measure import measure
    from trichometry.quality import assess_quality

    loaded = read_image(data, um_per_px=um_per_px)
    progress(0.1)
    quality = assess_quality(loaded.image, loaded.um_per_px)
    if settings.method == "classical":
        from trichometry.classical import ClassicalDetector

        pred = ClassicalDetector().predict(loaded.image, um_per_px=loaded.um_per_px)
    else:
        raise ConfigError("the model method needs trichometry.analyze, which this installation lacks.")
    progress(0.7)
    m = measure(loaded.image, pred, um_per_px=loaded.um_per_px, valid_mask=quality.valid_mask,
                convention=settings.convention)  # fmt: skip
    md = m.to_dict()
    s = md["summary"]
    hairs = [
        {"x_px": h["exit_xy"][0], "y_px": h["exit_xy"][1], "end_x_px": h["end_xy"][0],
         "end_y_px": h["end_xy"][1], "thickness_um": h["thickness_um"]}
        for h in md["hairs"]
    ]  # fmt: skip
    doc = {
        "status": "ok",
        "hair_count": s["hair_count"],
        "um_per_px": loaded.um_per_px,
        "area_cm2": s["area_cm2"],
        "density_per_cm2": s["density_per_cm2"],
        "non_vellus_density_per_cm2": s["non_vellus_density_per_cm2"],
        "mean_thickness_um": s["mean_diameter_um"],
        "image": {
            "sha256": loaded.sha256,
            "format": loaded.format,
            "width": loaded.width,
            "height": loaded.height,
        },
        "quality": quality.to_dict(),
        "model": m.source,
        "summary": s,
        "hairs": hairs,
    }
    overlay = encode_png(draw_hairs(loaded.image, hairs, quality.verdict))
    return _record(settings, um_per_px, quality.verdict, doc, overlay, m.source)


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
    analyze = library_analyze()
    if analyze is not None:
        return _with_library(analyze, data, um_per_px, settings, progress)
    return _with_parts(data, um_per_px, settings, progress)


def library_analyze() -> Callable[..., Any] | None:
    """:func:`trichometry.analyze` when this installation has it, else ``None``."""
    try:
        from trichometry import analyze
    except ImportError:
        return None
    return analyze if callable(analyze) else None
