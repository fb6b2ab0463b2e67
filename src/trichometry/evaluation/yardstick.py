"""The detector yardstick's measures: per-photo count agreement, box-rule matching, floors.

Used by ``benchmarks/yardstick.py`` (every detector scored on every photo of a held-out
split, beside the floors) and by validation during training.

* :func:`count_agreement`: per-photo count MAE, MAPE, bias (mean and as a share of the
  true total), Pearson r and Lin's concordance correlation coefficient.
* :func:`box_matches`: the box rule. A detected hair (its exit point) is a true positive
  when it lies inside a labelled box grown by ``margin`` px, matched one to one (least
  distance to the box centre; a box labels a shaft, whose root lies at one of its ends).
* :func:`interior`: which boxes / detections lie at least ``margin`` px from the frame
  (hairs cut by the frame are often left unlabelled).
* :func:`constant_floor`: the constant guess, the training split's median count, which
  every detector must beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from trichometry.evaluation.metrics import point_detection


def count_agreement(pred: Sequence[float], truth: Sequence[float]) -> dict[str, Any]:
    """Agreement of per-photo counts with the truth.

    Returns:
        ``n``, ``mae``, ``mape_pct`` (over photos with a true count > 0), ``bias`` (mean of
        pred - truth), ``bias_pct`` (sum of errors / sum of truth, %), ``pearson_r`` and
        ``lin_ccc`` (NaN when a side has no spread).

    Example:
        >>> a = count_agreement([11, 19, 30], [10, 20, 30])
        >>> a["mae"], a["bias"]
        (0.6666666666666666, 0.0)
    """
    p, t = np.asarray(pred, np.float64).reshape(-1), np.asarray(truth, np.float64).reshape(-1)
    if len(p) != len(t):
        raise ValueError(f"count_agreement: {len(p)} predictions for {len(t)} truths")
    nan = float("nan")
    if len(p) == 0:
        return {
            "n": 0,
            "mae": nan,
            "mape_pct": nan,
            "bias": nan,
            "bias_pct": nan,
            "pearson_r": nan,
            "lin_ccc": nan,
        }
    e = p - t
    nz = t > 0
    vp, vt = p.var(), t.var()
    cov = float(((p - p.mean()) * (t - t.mean())).mean())
    r = cov / np.sqrt(vp * vt) if vp > 0 and vt > 0 else nan
    denom = vp + vt + (p.mean() - t.mean()) ** 2
    ccc = 2 * cov / denom if denom > 0 else nan
    return {
        "n": len(p),
        "mae": float(np.abs(e).mean()),
        "mape_pct": float(100 * np.mean(np.abs(e[nz]) / t[nz])) if nz.any() else nan,
        "bias": float(e.mean()),
        "bias_pct": float(100 * e.sum() / t.sum()) if t.sum() > 0 else nan,
        "pearson_r": float(r),
        "lin_ccc": float(ccc),
    }


def box_matches(points: np.ndarray, boxes: np.ndarray, margin: float) -> int:
    """True positives of the box rule (see the module docstring).

    Args:
        points: ``(N, 2)`` detected exit points ``(x, y)``.
        boxes: ``(M, 4)`` ``x0, y0, x1, y1``.
        margin: px by which every box is grown.
    """
    return len(box_matches_pairs(points, boxes, margin))


def box_matches_pairs(points: np.ndarray, boxes: np.ndarray, margin: float) -> list[tuple[int, int]]:
    """The matched ``(point index, box index)`` pairs of the box rule."""
    pts = np.asarray(points, float).reshape(-1, 2)
    b = np.asarray(boxes, float).reshape(-1, 4)
    if len(pts) == 0 or len(b) == 0:
        return []
    x, y = pts[:, 0:1], pts[:, 1:2]
    inside = (
        (x >= b[:, 0] - margin) & (x <= b[:, 2] + margin) & (y >= b[:, 1] - margin) & (y <= b[:, 3] + margin)
    )
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    cost = np.hypot(x - cx, y - cy) + np.where(inside, 0.0, 1e6)
    r, c = linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(r, c) if inside[i, j]]


def point_matches(pred: np.ndarray, truth: np.ndarray, radius: float) -> int:
    """True positives: points matched one to one within ``radius`` (optimal assignment)."""
    return point_detection(
        np.asarray(pred, float).reshape(-1, 2), np.asarray(truth, float).reshape(-1, 2), radius
    ).tp


def interior(points: np.ndarray, shape: tuple[int, int], margin: float) -> np.ndarray:
    """``(N,)`` bool: the point lies at least ``margin`` px inside an ``(H, W)`` frame."""
    p = np.asarray(points, float).reshape(-1, 2)
    h, w = shape
    return (
        (p[:, 0] >= margin) & (p[:, 0] <= w - 1 - margin) & (p[:, 1] >= margin) & (p[:, 1] <= h - 1 - margin)
    )


def box_centres(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, float).reshape(-1, 4)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], axis=1)


def constant_floor(train_counts: Sequence[float]) -> float:
    """The constant guess: the median count of the training photos.

    Raises:
        ValueError: no training counts.
    """
    c = np.asarray(train_counts, float)
    if len(c) == 0:
        raise ValueError("constant_floor needs the training split's counts; none were given")
    return float(np.median(c))


def detection_scores(tp: int, n_pred: int, n_true: int) -> dict[str, float]:
    """Precision, recall and F1 from pooled counts."""
    return {
        "precision": tp / n_pred if n_pred else 1.0,
        "recall": tp / n_true if n_true else 1.0,
        "f1": 2 * tp / (n_pred + n_true) if n_pred + n_true else 1.0,
    }


def read_root_marks(path: str | Any) -> dict[str, np.ndarray]:
    """Hand-marked root ends (``benchmarks/labels/fdu_val_roots.csv``): per image id an
    ``(N, 4)`` array ``root_x, root_y, tip_x, tip_y`` in the photo's pixels."""
    import csv
    from pathlib import Path

    out: dict[str, list[list[float]]] = {}
    with Path(path).open(newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for r in rows:
            out.setdefault(r["image_id"], []).append(
                [float(r["root_x"]), float(r["root_y"]), float(r["tip_x"]), float(r["tip_y"])]
            )
    return {k: np.asarray(v, float).reshape(-1, 4) for k, v in out.items()}


def root_end_matches(points: np.ndarray, marks: np.ndarray, margin: float) -> tuple[int, int]:
    """``(found, correct)`` for hand-marked hairs of one photo.

    A marked hair is *found* when a detected exit point lies inside its box (its two ends'
    rectangle grown by ``margin`` px), one detection per hair (least distance to either
    end, optimal assignment); it is *correct* when that point lies nearer the marked root
    than the marked tip.
    """
    pts = np.asarray(points, float).reshape(-1, 2)
    m = np.asarray(marks, float).reshape(-1, 4)
    if len(pts) == 0 or len(m) == 0:
        return 0, 0
    lo = np.minimum(m[:, 0:2], m[:, 2:4]) - margin
    hi = np.maximum(m[:, 0:2], m[:, 2:4]) + margin
    x, y = pts[:, 0:1], pts[:, 1:2]
    inside = (x >= lo[:, 0]) & (x <= hi[:, 0]) & (y >= lo[:, 1]) & (y <= hi[:, 1])
    d_root = np.hypot(x - m[:, 0], y - m[:, 1])
    d_tip = np.hypot(x - m[:, 2], y - m[:, 3])
    cost = np.minimum(d_root, d_tip) + np.where(inside, 0.0, 1e6)
    r, c = linear_sum_assignment(cost)
    pairs = [(i, j) for i, j in zip(r, c) if inside[i, j]]
    return len(pairs), sum(1 for i, j in pairs if d_root[i, j] < d_tip[i, j])


def upper_end_share(marks: np.ndarray) -> float:
    """The floor of root-end accuracy: the share of marked hairs whose root is the upper
    end (the rule 'the root is always the upper end'; on a vertical tie, the left end)."""
    m = np.asarray(marks, float).reshape(-1, 4)
    if len(m) == 0:
        return float("nan")
    upper = (m[:, 1] < m[:, 3]) | ((m[:, 1] == m[:, 3]) & (m[:, 0] < m[:, 2]))
    return float(upper.mean())


def width_auc(low: Sequence[float], high: Sequence[float]) -> float:
    """P(a ``low`` value < a ``high`` value), ties counted half (Mann-Whitney): how well
    widths tell thin (``undersize``) hairs from the others (1.0: every one narrower).

    Example:
        >>> width_auc([20, 30], [25, 60])
        0.75
    """
    lo, hi = np.asarray(low, float), np.asarray(high, float)
    if not len(lo) or not len(hi):
        return float("nan")
    diff = hi[None, :] - lo[:, None]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)
