from __future__ import annotations

import numpy as np
import pytest

from trichometry.measure.stats import (
    clark_evans,
    direction_summary,
    garwood_interval,
    quadrat_cv,
    single_linkage_groups,
    unit_summary,
)


def test_garwood_known_values():
    assert garwood_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-3)
    assert garwood_interval(10) == pytest.approx((4.7954, 18.3904), abs=1e-3)
    assert garwood_interval(1, 0.9) == pytest.approx((0.05129, 4.7439), abs=1e-3)


def test_single_linkage_chains_and_units():
    pts = np.array([[0, 0], [150, 0], [300, 0], [1000, 0], [2000, 0], [2100, 0]])
    lab = single_linkage_groups(pts, 200)
    assert lab.tolist() == [0, 0, 0, 1, 2, 2]  # chaining joins 0-150-300
    s = unit_summary(lab)
    assert s["units"] == 3 and s["hairs_per_unit"]["3"] == 1 and s["hairs_per_unit"]["1"] == 1
    assert single_linkage_groups(np.zeros((0, 2)), 10).shape == (0,)


def test_direction_summary():
    d = direction_summary(np.array([10, 10, 10]))
    assert d["resultant_length"] == pytest.approx(1.0) and d["mean_deg"] == pytest.approx(10.0)
    opp = direction_summary(np.array([0, 180]))
    assert opp["resultant_length"] == pytest.approx(0.0, abs=1e-9)
    wrap = direction_summary(np.array([350, 10]))
    assert wrap["mean_deg"] % 360 == pytest.approx(0.0, abs=1e-6) or wrap["mean_deg"] == pytest.approx(360.0)
    assert sum(wrap["histogram"]["counts"]) == 2
    assert direction_summary(np.array([]))["mean_deg"] is None


def test_clark_evans_orders_patterns():
    g = np.stack(np.meshgrid(np.arange(10), np.arange(10)), -1).reshape(-1, 2) * 10.0 + 5
    regular = clark_evans(g, 100.0 * 100.0)
    rng = np.random.default_rng(0)
    random = clark_evans(rng.uniform(0, 100, (100, 2)), 100.0 * 100.0)
    clustered = clark_evans(np.repeat(g[:10], 10, axis=0) + rng.normal(0, 0.5, (100, 2)), 100.0 * 100.0)
    assert regular > 1.8 and 0.8 < random < 1.25 and clustered < 0.5
    assert clark_evans(np.zeros((1, 2)), 1.0) is None


def test_quadrat_cv():
    mask = np.ones((100, 100), bool)
    g = np.stack(np.meshgrid(np.arange(10), np.arange(10)), -1).reshape(-1, 2) * 10.0 + 5
    assert quadrat_cv(g, mask, cells=5) == pytest.approx(0.0, abs=1e-9)
    assert quadrat_cv(g[g[:, 0] < 50], mask, cells=5) > 90
