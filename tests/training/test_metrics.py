from __future__ import annotations

import numpy as np

from trichometry.evaluation.metrics import dice
from trichometry.training.metrics import MetricAccumulator, f1_score


def test_accumulator_matches_one_to_one() -> None:
    acc = MetricAccumulator(match_px=3.0)
    acc.add(np.array([[0.0, 0.0], [0.5, 0.0], [20.0, 20.0]]), np.array([[0.2, 0.0], [10.0, 10.0]]))
    acc.add(np.zeros((0, 2)), np.array([[0.2, 0.0], [10.0, 10.0]]))
    assert (acc.tp, acc.fp, acc.fn) == (1, 2, 3)


def test_f1_dice_and_accumulator_empty_cases() -> None:
    assert f1_score(0, 0, 0) == 1.0 and f1_score(1, 1, 0) == 2 / 3
    assert dice(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
    a = np.zeros((4, 4), bool)
    a[0, :2] = True
    b = np.zeros((4, 4), bool)
    b[0, 1:3] = True
    assert dice(a, b) == 0.5
    acc = MetricAccumulator(match_px=2.0)
    acc.add(np.array([[1.0, 1.0]]), np.array([[1.0, 2.0], [8.0, 8.0]]), a, b, np.full((4, 4), 3.0), a * 5.0)
    r = acc.result()
    assert r["f1"] == 2 / 3 and r["count_bias"] == -1 and r["dice"] == 0.5 and r["diameter_mae"] == 2.0
