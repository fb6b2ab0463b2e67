"""Turning an image into per-pixel hair maps (model or classical).

* :class:`~trichometry.inference.prediction.Prediction`: the dense maps every detector returns.
* :class:`~trichometry.inference.predictor.Predictor` / :func:`load_default_predictor`: the model.
* :func:`~trichometry.inference.loading.load_predictor`: the right predictor for any checkpoint.
* :func:`~trichometry.inference.peaks.find_exit_points`: exit points from the heatmap.

Heavy modules (torch) are imported only when the predictor is used.
"""

from __future__ import annotations

from typing import Any

from trichometry.inference.peaks import find_exit_points
from trichometry.inference.prediction import DetectorHints, Prediction

__all__ = [
    "DetectorHints",
    "Prediction",
    "Predictor",
    "find_exit_points",
    "load_default_predictor",
    "load_predictor",
]


def __getattr__(name: str) -> Any:
    if name == "Predictor":
        from trichometry.inference.predictor import Predictor

        return Predictor
    if name in ("load_predictor", "load_default_predictor", "default_model_path"):
        from trichometry.inference import loading

        return getattr(loading, name)
    raise AttributeError(f"module 'trichometry.inference' has no attribute {name!r}")
