"""The one place where the service calls the analysis library.

:func:`default_analyser` turns stored image bytes into an
:class:`~trichometry.store.AnalysisRecord` (numbers, quality verdict, overlay, provenance).
It runs :func:`trichometry.analyze` (read + calibrate, quality check, detector,
measurement) and renders the same overlay as ``trichometry analyze``. Anything else in the
service only sees ``AnalysisRecord``, so a change of the library's API touches this module only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trichometry import __version__
from trichometry.analysis import METHODS
from trichometry.errors import ConfigError
from trichometry.store.analyses import AnalysisRecord
from trichometry.utils.encoding import encode_png

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisSettings:
    """How photos are analysed.

    Attributes:
        method: ``"model"`` (the learned detector, default) or ``"classical"`` (no weights needed).
        checkpoint: path of a model checkpoint written by ``train.py`` (``None``: the
            library's default model for ``"model"``).
        convention: thickness class convention (see :mod:`trichometry.measure.classes`).
    """

    method: str = "model"
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
    from trichometry import analyze

    progress(0.1)
    result = analyze(
        data,
        um_per_px=um_per_px,
        method=settings.method,
        model=settings.checkpoint,
        convention=settings.convention,
    )
    progress(0.85)
    return record_from_result(result, settings, um_per_px)


def record_from_result(result: Any, settings: AnalysisSettings, um_per_px: float | None) -> AnalysisRecord:
    """The store's record of a finished :func:`trichometry.analyze` result (with its overlay)."""
    from trichometry.outputs.overlay import render_overlay

    doc = result.to_dict()
    model = dict(result.model)
    return AnalysisRecord(
        method=settings.method,
        model_name=str(model.get("name") or settings.method),
        model_version=str(model.get("version") or __version__),
        weights_sha256=str(model.get("sha256") or "-"),
        code_version=__version__,
        config_hash=settings.config_hash(um_per_px),
        quality=result.quality.verdict,
        summary=summary_from_document(doc),
        result=doc,
        overlay_png=encode_png(render_overlay(result, doc)),
    )
