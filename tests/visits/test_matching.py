from __future__ import annotations

import numpy as np
import pytest

from trichometry.errors import CalibrationError, ConfigError
from trichometry.visits import HairPoints, MatchConfig, match_hairs, register, score_against_ids
from trichometry.visits.registration import identity


def _match(pf, **kw):
    b, f = pf.base, pf.follow
    reg = register(b.xy_px, f.xy_px, um_per_px=b.um_per_px, base_size=b.size, follow_size=f.size)
    return match_hairs(b, f, reg, MatchConfig(**kw))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_fates_are_recovered_despite_shift_and_rotation(make_paired, seed):
    pf = make_paired(
        seed=seed, rotation_deg=8.0 * (seed + 1), shift_px=(50.0, -30.0), p_lost=0.12, p_new=0.08
    )
    m = _match(pf)
    score = score_against_ids(m)
    assert score["pair_precision"] >= 0.98
    assert score["pair_recall"] >= 0.97
    true_lost, true_new = len(pf.lost_ids), len(pf.new_ids)
    # Border hairs may switch between "counted" and "not counted": allow 2 hairs of slack.
    assert abs(len(m.lost) - true_lost) <= 2
    assert abs(len(m.new) - true_new) <= 2
    found_lost = set(pf.base.ids[m.lost].tolist())
    assert len(found_lost & pf.lost_ids) >= true_lost - 2
    s = m.summary()
    assert s["baseline_count"] == s["matched"] + s["lost"]
    assert s["followup_count"] == s["matched"] + s["new"]
    assert np.isclose(s["share_went_dormant"], s["lost"] / s["baseline_count"])


def test_hairs_outside_the_overlap_are_not_lost(make_paired):
    pf = make_paired(seed=5, rotation_deg=0.0, shift_px=(200.0, 0.0), p_lost=0.0, p_new=0.0)
    m = _match(pf)
    assert len(m.lost) == 0 and len(m.new) == 0
    assert m.baseline_count < len(pf.base)  # hairs left of the follow-up field were not counted
    assert np.isclose(m.overlap_area_cm2, (640 - 200) * 512 * (5e-4) ** 2, rtol=0.02)


def test_thickness_fates_follow_the_threshold():
    xy = np.array([[10.0, 10.0], [50.0, 50.0], [90.0, 20.0]])
    base = HairPoints(xy, [40.0, 40.0, 40.0], 5.0, 100, 100)
    follow = HairPoints(xy, [46.0, 34.0, 42.0], 5.0, 100, 100)
    m = match_hairs(base, follow, identity(5.0), MatchConfig(thickness_change_um=5.0))
    assert m.base_fates() == ["thickened", "thinned", "kept"]
    assert np.allclose(m.diameter_change_um, [6.0, -6.0, 2.0])
    s = m.summary()
    assert s["thickened"] == 1 and s["thinned"] == 1 and np.isclose(s["mean_diameter_change_um"], 2 / 3)


def test_non_vellus_transitions_are_counted():
    xy = np.array([[10.0, 10.0], [50.0, 50.0]])
    base = HairPoints(xy, [25.0, 35.0], 5.0, 100, 100)
    follow = HairPoints(xy, [32.0, 28.0], 5.0, 100, 100)
    s = match_hairs(base, follow, identity(5.0)).summary()
    assert s["vellus_to_non_vellus"] == 1 and s["non_vellus_to_vellus"] == 1


def test_empty_visits_match_to_nothing():
    empty = HairPoints(np.zeros((0, 2)), np.zeros(0), 5.0, 100, 100)
    one = HairPoints(np.array([[50.0, 50.0]]), [40.0], 5.0, 100, 100)
    m = match_hairs(empty, one, identity(5.0))
    assert m.matched == 0 and len(m.new) == 1 and len(m.lost) == 0
    assert np.isnan(m.summary()["share_became_active"])


def test_scale_mismatch_and_bad_config_are_refused():
    a = HairPoints(np.zeros((0, 2)), np.zeros(0), 5.0, 100, 100)
    b = HairPoints(np.zeros((0, 2)), np.zeros(0), 4.0, 100, 100)
    with pytest.raises(CalibrationError, match="rescale"):
        match_hairs(a, b, identity(5.0))
    with pytest.raises(ConfigError):
        MatchConfig(max_distance_um=0)


def test_roi_circle_restricts_counting_and_area(make_paired):
    pf = make_paired(seed=6, rotation_deg=4.0, shift_px=(20.0, 10.0), p_lost=0.1, p_new=0.05)
    b, f = pf.base, pf.follow
    reg = register(b.xy_px, f.xy_px, um_per_px=b.um_per_px, base_size=b.size, follow_size=f.size)
    radius_um = 200 * b.um_per_px  # 200 px: inside both fields
    m = match_hairs(b, f, reg, MatchConfig(roi_radius_um=radius_um))
    centre = np.array([(b.width - 1) / 2, (b.height - 1) / 2])
    counted = b.xy_px[m.base_counted]
    assert np.all(np.hypot(*(counted - centre).T) <= 200.0 + 1e-6)
    assert m.overlap_area_cm2 == pytest.approx(np.pi * (radius_um * 1e-4) ** 2, rel=1e-4)
    whole = match_hairs(b, f, reg)
    assert m.baseline_count < whole.baseline_count
    with pytest.raises(ConfigError):
        MatchConfig(roi_radius_um=0.0)
