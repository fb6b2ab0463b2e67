"""Metrics and reports behind ``evaluate.py``.

* :mod:`.metrics`: Dice, clDice, exit-point F1, count errors, Bland-Altman (empty cases defined);
* :mod:`.cohort`: longitudinal subjects generated on the fly or read from a data set;
* :mod:`.detectors`: the methods compared (``truth``, ``classical``, ``model``);
* :mod:`.scoring`: per-photo, per-visit (matching vs independent counts) and repeatability;
* :mod:`.run`: :func:`evaluate`, the entry point; :mod:`.report`: JSON, Markdown, plots.
"""

from __future__ import annotations

from trichometry.evaluation.metrics import (
    bland_altman,
    cl_dice,
    count_errors,
    dice,
    error_summary,
    point_detection,
)

__all__ = ["bland_altman", "cl_dice", "count_errors", "dice", "error_summary", "evaluate", "point_detection"]


def evaluate(cfg):  # type: ignore[no-untyped-def]
    """Run an evaluation; see :func:`trichometry.evaluation.run.evaluate`."""
    from trichometry.evaluation.run import evaluate as _evaluate

    return _evaluate(cfg)
