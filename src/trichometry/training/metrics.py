"""Validation metrics summed over images: exit points (matched one to one as the evaluation
matches them, :func:`trichometry.evaluation.metrics.point_detection`), counts, Dice, diameter error."""

from __future__ import annotations

import numpy as np

from trichometry.evaluation.metrics import point_detection

# An exit point is found when a detection lies within this distance of it (training-time
# validation and `python -m trichometry.training.validate` alike).
VAL_MATCH_UM = 15.0


def f1_score(tp: int, fp: int, fn: int) -> float:
    """F1 from counts; 1.0 when there is nothing to find and nothing was found."""
    denom = 2 * tp + fp + fn
    return 1.0 if denom == 0 else 2 * tp / denom


class MetricAccumulator:
    """Sums detections, masks and diameter errors over images; :meth:`result` gives the figures."""

    def __init__(self, match_px: float) -> None:
        self.match_px = match_px
        self.tp = self.fp = self.fn = 0
        self.inter = self.psum = self.tsum = 0
        self.count_err: list[float] = []
        self.diam_err: list[float] = []

    def add(
        self,
        pred_points: np.ndarray,
        true_points: np.ndarray,
        pred_mask: np.ndarray | None = None,
        true_mask: np.ndarray | None = None,
        pred_diam: np.ndarray | None = None,
        true_diam: np.ndarray | None = None,
    ) -> None:
        """Add one image (diameters in any one unit; compared on true shaft pixels > 0)."""
        m = point_detection(pred_points, true_points, self.match_px)
        tp, fp, fn = m.tp, m.fp, m.fn
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn
        self.count_err.append(float(len(pred_points) - len(true_points)))
        if pred_mask is not None and true_mask is not None:
            p, t = np.asarray(pred_mask, bool), np.asarray(true_mask, bool)
            self.inter += int((p & t).sum())
            self.psum += int(p.sum())
            self.tsum += int(t.sum())
        if pred_diam is not None and true_diam is not None:
            m = np.asarray(true_diam) > 0
            if m.any():
                self.diam_err.extend(np.abs(np.asarray(pred_diam)[m] - np.asarray(true_diam)[m]).tolist())

    def result(self) -> dict[str, float]:
        """``f1``, ``precision``, ``recall``, ``count_mae``, ``count_bias``, ``dice``, ``diameter_mae``."""
        ce = np.asarray(self.count_err) if self.count_err else np.zeros(1)
        s = self.psum + self.tsum
        return {
            "f1": f1_score(self.tp, self.fp, self.fn),
            "precision": self.tp / max(self.tp + self.fp, 1),
            "recall": self.tp / max(self.tp + self.fn, 1),
            "count_mae": float(np.abs(ce).mean()),
            "count_bias": float(ce.mean()),
            "dice": 1.0 if s == 0 else 2 * self.inter / s,
            "diameter_mae": float(np.mean(self.diam_err)) if self.diam_err else float("nan"),
            "images": len(self.count_err),
        }
