"""The headline change per window: which figure leads, its interval, and when the two disagree."""

from __future__ import annotations

import math

import pytest

from trichometry.reports import ImageRecord, ReportConfig
from trichometry.reports.engine import observations
from trichometry.reports.headline import HAIR_TO_HAIR, INDEPENDENT, MatchedChange, headline_changes
from trichometry.reports.intervals import visit_intervals
from trichometry.visits.change import Interval

from .conftest import AREA_CM2, measurement


def _obs(counts_by_day: dict[int, list[int]]):
    records = [
        ImageRecord(
            subject="S1",
            site="vertex",
            visit=f"d{day}",
            arm="treated",
            image_id=f"d{day}_{i}",
            measurement=measurement(n, [50.0] * n),
            days_since_baseline=day,
        )
        for day, counts in counts_by_day.items()
        for i, n in enumerate(counts)
    ]
    return observations(records, ReportConfig())


def test_independent_counts_lead_without_photos_with_a_poisson_interval():
    obs = _obs({0: [20, 22], 30: [25]})
    (h,) = headline_changes(obs)
    assert h.measure == INDEPENDENT and h.window == "1m" and not h.disagree
    assert h.change.estimate == pytest.approx((25 - 21) / AREA_CM2)
    # var(mean of 2 photos) = (20 + 22) / a^2 / 4; var(one photo) = 25 / a^2
    half = 1.959964 * math.sqrt((20 + 22) / 4 + 25) / AREA_CM2
    assert h.change.high - h.change.estimate == pytest.approx(half, rel=1e-5)
    assert h.change_pct == pytest.approx(100 * 4 / 21)
    assert "not available" in h.sentence()


def _matched(est, lo, hi):
    i = Interval(est, lo, hi)
    return MatchedChange(i, Interval(0.0, -1.0, 1.0), 20, 1, 3, 1)


def test_hair_to_hair_leads_when_given_and_a_disagreement_is_said():
    obs = _obs({0: [20], 30: [25]})
    key = ("S1", "vertex", "d30")
    (agree,) = headline_changes(obs, {key: _matched(30.0, 10.0, 50.0)})
    assert agree.measure == HAIR_TO_HAIR and agree.change.estimate == 30.0 and not agree.disagree
    assert agree.independent.estimate == pytest.approx(50.0)  # still reported beside it
    (apart,) = headline_changes(obs, {key: _matched(-300.0, -320.0, -280.0)})
    assert apart.disagree and "comparison picture" in apart.sentence()
    # opposite signs with overlapping intervals (issue 27's S001: -50.2 [-185.7, 85.4] against
    # +28.3): said, never "agrees"
    (opposite,) = headline_changes(obs, {key: _matched(-20.0, -150.0, 110.0)})
    assert opposite.opposite and not opposite.apart and opposite.disagree
    assert "opposite directions" in opposite.sentence() and "agree" not in opposite.sentence()
    assert "same sign" in agree.sentence()
    (why,) = headline_changes(obs, {key: "registration failed"})
    assert why.measure == INDEPENDENT and "registration failed" in why.sentence()


def test_visit_intervals_are_poisson_for_density_and_hair_spread_for_thickness():
    obs = _obs({0: [16], 30: [25]})
    base = next(o for o in obs if o.is_baseline)
    iv = visit_intervals(base)
    assert iv["DENS"].estimate == pytest.approx(160.0)
    assert iv["DENS"].high - 160.0 == pytest.approx(1.959964 * 4 / AREA_CM2, rel=1e-5)
    assert iv["MEANDIAM"].low == iv["MEANDIAM"].high == pytest.approx(50.0)  # every hair 50 um: no spread
    assert iv["VELLPCT"].estimate == 0.0 and iv["VELLPCT"].low == 0.0
