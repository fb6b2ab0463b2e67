from __future__ import annotations

import math

import numpy as np
import pytest

from trichometry.visits import (
    HairPoints,
    change_from_matching,
    combine_changes,
    match_hairs,
    paired_count_change,
    paired_mean,
    repeatability,
)
from trichometry.visits.registration import identity


def test_paired_count_change_hand_computed():
    # 10 follicles, 2 lost, 3 new: d = 1, var = 5 - 1/10 = 4.9
    iv = paired_count_change(lost=2, new=3, n_follicles=10)
    assert iv.estimate == 1.0
    assert math.isclose(iv.high - iv.estimate, 1.959963984540054 * math.sqrt(4.9))
    assert paired_count_change(0, 0, 0) == paired_count_change(0, 0, 5)  # no change, no width


def test_paired_mean_hand_computed_and_empty_cases():
    iv = paired_mean(np.array([1.0, 2.0, 3.0]))
    # mean 2, sd 1, se 1/sqrt(3), t(0.975, 2) = 4.302653
    assert math.isclose(iv.estimate, 2.0)
    assert math.isclose(iv.high, 2.0 + 4.302652729911275 / math.sqrt(3), rel_tol=1e-9)
    assert math.isnan(paired_mean(np.array([])).estimate)
    one = paired_mean(np.array([4.0, np.nan]))
    assert one.estimate == 4.0 and math.isnan(one.low)


def test_repeatability_hand_computed_and_empty():
    r = repeatability([[100, 102], [200, 198], [7]])
    assert r.n_groups == 2 and r.n_photos == 4
    assert math.isclose(r.sem, math.sqrt(2))
    assert math.isclose(r.mdc95, 1.959963984540054 * 2.0)
    assert math.isclose(r.cv_pct, 100 * math.sqrt(2) / 150)
    assert math.isnan(repeatability([[1.0]]).mdc95)


def test_change_from_matching_density_and_thickness():
    # 100 x 100 px at 10 um/px = 0.01 cm2; 4 baseline hairs, 1 lost, 2 new.
    base = HairPoints([[10, 10], [30, 30], [50, 50], [70, 70]], [40, 40, 40, 25], 10.0, 100, 100)
    follow = HairPoints(
        [[10, 10], [30, 30], [50, 50], [20, 80], [80, 20]], [44, 42, 40, 35, 20], 10.0, 100, 100
    )
    c = change_from_matching(match_hairs(base, follow, identity(10.0)))
    assert (c.baseline_count, c.followup_count, c.matched, c.lost, c.new) == (4, 5, 3, 1, 2)
    assert math.isclose(c.overlap_area_cm2, 0.01)
    assert math.isclose(c.density_change_per_cm2.estimate, 100.0)
    assert math.isclose(c.density_change_pct.estimate, 25.0)
    assert math.isclose(c.mean_thickness_change_um.estimate, 2.0)
    # non-vellus (>= 30 um): baseline 3, follow-up 4 -> +1 hair = +100 /cm2
    assert math.isclose(c.non_vellus_change_per_cm2.estimate, 100.0)
    assert c.density_change_per_cm2.low < 100.0 < c.density_change_per_cm2.high
    d = c.to_dict()
    assert d["density_change_pct"]["estimate"] == 25.0


def test_combine_changes_takes_means():
    base = HairPoints([[10, 10], [30, 30]], [40, 40], 10.0, 100, 100)
    f1 = HairPoints([[10, 10], [30, 30], [60, 60]], [40, 40, 40], 10.0, 100, 100)
    f2 = HairPoints([[10, 10], [30, 30]], [40, 40], 10.0, 100, 100)
    c1 = change_from_matching(match_hairs(base, f1, identity(10.0)))
    c2 = change_from_matching(match_hairs(base, f2, identity(10.0)))
    c = combine_changes([c1, c2])
    assert c.n_photos == 2 and c.new == 0.5
    assert math.isclose(c.density_change_pct.estimate, 25.0)
    with pytest.raises(ValueError):
        combine_changes([])


def test_paired_mean_uses_the_measurement_errors():
    # three identical differences: no scatter, but each carries a 2 um error
    iv = paired_mean(np.array([1.0, 1.0, 1.0]), np.array([2.0, 2.0, 2.0]))
    half = 4.302652729911275 * 2.0 / math.sqrt(3)  # t(0.975, 2) * sqrt(mean(se^2) / n)
    assert math.isclose(iv.high - iv.estimate, half, rel_tol=1e-9)
    # where the scatter exceeds the errors, the scatter sets the interval as before
    wide = paired_mean(np.array([1.0, 2.0, 3.0]), np.array([0.01, 0.01, 0.01]))
    assert math.isclose(wide.high, 2.0 + 4.302652729911275 / math.sqrt(3), rel_tol=1e-9)
    one = paired_mean(np.array([4.0]), np.array([1.5]))
    assert math.isclose(one.high - one.estimate, 1.959963984540054 * 1.5, rel_tol=1e-9)
    # an unknown error leaves the t interval alone
    assert math.isnan(paired_mean(np.array([4.0]), np.array([np.nan])).low)
