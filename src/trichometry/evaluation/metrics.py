"""Evaluation metrics with their empty cases defined (nnU-Net / MONAI style).

* :func:`dice` and :func:`cl_dice` on binary masks: both empty -> 1.0 (nothing to find,
  nothing found); exactly one empty -> 0.0.
* :func:`point_detection`: optimal one-to-one matching of exit points within a radius;
  no truth and no detection -> precision = recall = F1 = 1.0.
* :func:`count_errors` / :func:`bland_altman`: on paired per-image values; fewer than
  two pairs give NaN limits; MAPE skips images whose true count is 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from trichometry.visits.assignment import assign

Z95 = 1.959963984540054


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def dice(pred: np.ndarray, target: np.ndarray) -> float:
    """Dice coefficient of two binary masks of one shape ``(H, W)``.

    Example:
        >>> dice(np.array([[1, 1, 0]]), np.array([[1, 0, 0]]))
        0.6666666666666666
    """
    p, t = np.asarray(pred).astype(bool), np.asarray(target).astype(bool)
    if p.shape != t.shape:
        raise ValueError(f"dice: shapes differ {p.shape} vs {t.shape}")
    s = int(p.sum()) + int(t.sum())
    return 1.0 if s == 0 else 2.0 * int((p & t).sum()) / s


def skeleton(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeleton of a binary mask ``(H, W)``."""
    from skimage.morphology import skeletonize

    return skeletonize(np.asarray(mask).astype(bool))


def cl_dice(pred: np.ndarray, target: np.ndarray) -> float:
    """Centreline Dice (Shit et al., CVPR 2021) for thin structures such as hair shafts.

    ``Tprec = |skel(pred) & target| / |skel(pred)|``,
    ``Tsens = |skel(target) & pred| / |skel(target)|``, clDice = their harmonic mean.
    """
    p, t = np.asarray(pred).astype(bool), np.asarray(target).astype(bool)
    if p.shape != t.shape:
        raise ValueError(f"cl_dice: shapes differ {p.shape} vs {t.shape}")
    if not p.any() and not t.any():
        return 1.0
    if not p.any() or not t.any():
        return 0.0
    sp, st = skeleton(p), skeleton(t)
    tprec = (sp & t).sum() / max(int(sp.sum()), 1)
    tsens = (st & p).sum() / max(int(st.sum()), 1)
    return 0.0 if tprec + tsens == 0 else float(2 * tprec * tsens / (tprec + tsens))


@dataclass(frozen=True)
class PointScores:
    """Exit-point detection result of one or more images (counts summed)."""

    tp: int
    fp: int
    fn: int
    pairs: np.ndarray  # (K, 2) (pred index, true index); per image only
    distances: np.ndarray  # (K,) in the input unit

    @property
    def precision(self) -> float:
        return 1.0 if self.tp + self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        return 1.0 if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 1.0 if d == 0 else 2 * self.tp / d

    def to_dict(self) -> dict[str, float]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}  # fmt: skip


def point_detection(pred_xy: np.ndarray, true_xy: np.ndarray, radius: float) -> PointScores:
    """Match predicted to true points one-to-one within ``radius`` (optimal assignment).

    Args:
        pred_xy: ``(N, 2)`` predicted exit points.
        true_xy: ``(M, 2)`` true exit points (same unit as ``radius``).
        radius: largest distance of a true positive.
    """
    pairs, dist = assign(pred_xy, true_xy, radius)
    n, m = len(np.asarray(pred_xy).reshape(-1, 2)), len(np.asarray(true_xy).reshape(-1, 2))
    return PointScores(len(pairs), n - len(pairs), m - len(pairs), pairs, dist)


def sum_scores(scores: Sequence[PointScores]) -> PointScores:
    """Pool per-image scores (micro average)."""
    dist = np.concatenate([s.distances for s in scores]) if scores else np.zeros(0)
    tp, fp, fn = (sum(getattr(s, k) for s in scores) for k in ("tp", "fp", "fn"))
    return PointScores(tp, fp, fn, np.zeros((0, 2), dtype=np.int64), dist)


@dataclass(frozen=True)
class BlandAltman:
    """Agreement of a method with truth: ``diff = method - truth``."""

    n: int
    bias: float
    sd: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))


def bland_altman(method: Sequence[float], truth: Sequence[float]) -> BlandAltman:
    """Bias and 95 % limits of agreement (``bias +/- 1.96 SD``) of paired values.

    Example:
        >>> r = bland_altman([11, 19, 31], [10, 20, 30])
        >>> r.bias, r.sd
        (0.3333333333333333, 1.1547005383792515)
    """
    a, b = np.asarray(method, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    if len(d) == 0:
        nan = float("nan")
        return BlandAltman(0, nan, nan, nan, nan)
    bias = float(d.mean())
    sd = float(d.std(ddof=1)) if len(d) > 1 else float("nan")
    return BlandAltman(len(d), bias, sd, bias - Z95 * sd, bias + Z95 * sd)


def count_errors(pred: Sequence[float], truth: Sequence[float]) -> dict[str, Any]:
    """MAE, MAPE (%, over images with a true count > 0), bias and Bland-Altman limits.

    Example:
        >>> count_errors([9, 22, 0], [10, 20, 0])["mae"]
        1.0
    """
    p, t = np.asarray(pred, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    if len(p) != len(t):
        raise ValueError(f"count_errors: {len(p)} predictions for {len(t)} truths")
    if len(p) == 0:
        nan = float("nan")
        return {"n": 0, "mae": nan, "mape_pct": nan, **{f"ba_{k}": nan for k in ("bias", "lower", "upper")}}
    nz = t > 0
    ba = bland_altman(p, t)
    return _clean({
        "n": len(p),
        "mae": float(np.abs(p - t).mean()),
        "mape_pct": float(100 * np.mean(np.abs(p[nz] - t[nz]) / t[nz])) if nz.any() else float("nan"),
        "ba_bias": ba.bias,
        "ba_lower": ba.lower,
        "ba_upper": ba.upper,
    })  # fmt: skip


def error_summary(errors: Sequence[float]) -> dict[str, Any]:
    """Bias, MAE, RMSE and the 95th percentile of absolute errors (NaN values dropped)."""
    e = np.asarray(errors, dtype=np.float64)
    e = e[np.isfinite(e)]
    if len(e) == 0:
        nan = float("nan")
        return _clean({"n": 0, "bias": nan, "mae": nan, "rmse": nan, "p95_abs": nan})
    return {
        "n": len(e),
        "bias": float(e.mean()),
        "mae": float(np.abs(e).mean()),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "p95_abs": float(np.percentile(np.abs(e), 95)),
    }
