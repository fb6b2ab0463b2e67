"""Metrics on tiny hand-computed arrays, empty cases included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trichometry.evaluation.metrics import (
    bland_altman,
    cl_dice,
    count_errors,
    dice,
    error_summary,
    point_detection,
    sum_scores,
)


def test_dice_hand_computed_and_empty():
    p = np.array([[1, 1, 0, 0]])
    t = np.array([[0, 1, 1, 0]])
    assert dice(p, t) == pytest.approx(0.5)  # 2*1 / (2+2)
    assert dice(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    assert dice(np.zeros((2, 2)), np.ones((2, 2))) == 0.0
    with pytest.raises(ValueError):
        dice(np.zeros((2, 2)), np.zeros((3, 3)))


def test_cl_dice_thin_lines():
    t = np.zeros((20, 20), dtype=bool)
    t[9:12, 2:18] = True  # a 3-px-wide horizontal shaft
    assert cl_dice(t, t) == pytest.approx(1.0)
    half = t.copy()
    half[:, 10:] = False  # prediction covers the left half only
    v = cl_dice(half, t)
    # Tprec = 1 (all of the prediction's skeleton lies in the target), Tsens about 0.5.
    assert 0.55 < v < 0.75
    assert cl_dice(np.zeros_like(t), np.zeros_like(t)) == 1.0
    assert cl_dice(np.zeros_like(t), t) == 0.0


def test_point_detection_hand_computed():
    pred = np.array([[0.0, 0.0], [10.0, 0.0], [50.0, 50.0]])
    true = np.array([[1.0, 0.0], [12.5, 0.0], [100.0, 100.0], [0.0, 30.0]])
    s = point_detection(pred, true, radius=3.0)
    assert (s.tp, s.fp, s.fn) == (2, 1, 2)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(2 * 2 / (4 + 1 + 2))
    empty = point_detection(np.zeros((0, 2)), np.zeros((0, 2)), 3.0)
    assert (empty.precision, empty.recall, empty.f1) == (1.0, 1.0, 1.0)
    none_found = point_detection(np.zeros((0, 2)), true, 3.0)
    assert none_found.recall == 0.0 and none_found.precision == 1.0 and none_found.f1 == 0.0
    pooled = sum_scores([s, none_found])
    assert (pooled.tp, pooled.fp, pooled.fn) == (2, 1, 6)


def test_bland_altman_and_count_errors_hand_computed():
    ba = bland_altman([11, 19, 31], [10, 20, 30])
    assert ba.bias == pytest.approx(1 / 3)
    sd = np.std([1, -1, 1], ddof=1)
    assert ba.upper == pytest.approx(1 / 3 + 1.959963984540054 * sd)
    one = bland_altman([5], [4])
    assert one.bias == 1.0 and math.isnan(one.sd)
    assert bland_altman([], []).n == 0
    ce = count_errors([9, 22, 3], [10, 20, 0])
    assert ce["mae"] == pytest.approx(2.0)
    assert ce["mape_pct"] == pytest.approx(100 * (0.1 + 0.1) / 2)  # the zero-count image is skipped
    assert count_errors([], [])["n"] == 0
    with pytest.raises(ValueError):
        count_errors([1], [1, 2])


def test_error_summary():
    s = error_summary([1.0, -3.0, np.nan])
    assert s["n"] == 2 and s["bias"] == pytest.approx(-1.0) and s["mae"] == pytest.approx(2.0)
    assert s["rmse"] == pytest.approx(math.sqrt(5.0))
    assert error_summary([])["n"] == 0 and error_summary([])["mae"] is None
