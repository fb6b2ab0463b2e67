"""Cross-visit hysteresis: a confident hair at one visit rescues a candidate at the other."""

from __future__ import annotations

import numpy as np
import pytest

from trichometry.errors import DataFormatError
from trichometry.visits import HairPoints, MatchConfig, match_hairs
from trichometry.visits.change import change_from_matching
from trichometry.visits.overlay import comparison_record
from trichometry.visits.registration import Registration

UPP = 5.0  # um per px; matching distance 60 um = 12 px
SIZE = 200
A, B, C, D = (50.0, 50.0), (150.0, 60.0), (100.0, 140.0), (60.0, 150.0)
E = (140.0, 130.0)  # nowhere at baseline


def _registration(angle_deg: float = 6.0, shift=(8.0, -5.0)) -> Registration:
    t = np.radians(angle_deg)
    m = np.array([[np.cos(t), -np.sin(t), shift[0]], [np.sin(t), np.cos(t), shift[1]]])
    return Registration(m, UPP, 10, 1.0, 0.0, 0.9, 1.0, "points")


def _to_follow(reg: Registration, pts) -> np.ndarray:
    """Follow-up pixel positions of baseline points (inverse of the registration) + 1 px noise."""
    m = reg.matrix
    p = np.asarray(pts, dtype=float).reshape(-1, 2) - m[:, 2]
    return p @ np.linalg.inv(m[:, :2]).T + 0.7


def _points(xy, dia=40.0, candidates=None) -> HairPoints:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return HairPoints(xy, np.full(len(xy), dia), UPP, SIZE, SIZE, candidates_xy=candidates)


def _scene(reg):
    base = _points([A, B, C, D])
    follow = _points(_to_follow(reg, [A, B]), candidates=_to_follow(reg, [C, E]))
    return base, follow


def test_candidate_at_the_baseline_hair_keeps_it():
    reg = _registration()
    base, follow = _scene(reg)
    m = match_hairs(base, follow, reg)
    assert m.extra == {"rescued_baseline": 0, "rescued_followup": 1}
    assert m.base_fates() == ["kept", "kept", "kept", "lost"]  # C kept, D (no candidate) lost
    assert len(m.follow) == 3 and m.follow_fates() == ["kept", "kept", "kept"]  # E never counts
    assert np.isnan(m.follow.diameter_um[2])
    assert len(m.follow.candidates_xy) == 1  # E stays a candidate
    s = m.summary()
    assert (s["matched"], s["lost"], s["new"], s["rescued"]) == (3, 1, 0, 1)
    assert (s["baseline_count"], s["followup_count"]) == (4, 3)
    # the rescued hair has no diameter: no class change, no thickness change from it
    ch = change_from_matching(m)
    assert ch.non_vellus_change_per_cm2.estimate == pytest.approx(change_from_matching(
        match_hairs(base, follow, reg, MatchConfig(rescue=False))).non_vellus_change_per_cm2.estimate
        + 1 / m.overlap_area_cm2)  # fmt: skip
    rec = comparison_record(m, ch)
    assert rec["rescued"] == 1 and rec["whole_frame"]["followup_count"] == 2


def test_baseline_candidate_is_rescued_by_a_followup_hair():
    reg = _registration(-4.0, (-6.0, 3.0))
    base = _points([A, B], candidates=[C, E])
    follow = _points(_to_follow(reg, [A, B, C]))
    m = match_hairs(base, follow, reg)
    assert m.extra == {"rescued_baseline": 1, "rescued_followup": 0}
    assert (m.matched, len(m.lost), len(m.new)) == (3, 0, 0)
    assert len(m.base) == 3 and m.base_fates() == ["kept"] * 3


def test_rescue_off_gives_todays_result():
    reg = _registration()
    base, follow = _scene(reg)
    m = match_hairs(base, follow, reg, MatchConfig(rescue=False))
    plain = match_hairs(base, _points(follow.xy_px), reg)
    assert m.summary() == plain.summary()
    assert (m.matched, len(m.lost), len(m.new), m.summary()["rescued"]) == (2, 2, 0, 0)


@pytest.mark.parametrize("candidates", [None, np.zeros((0, 2))])
def test_no_candidates_changes_nothing(candidates):
    reg = _registration()
    base = _points([A, B, C, D])
    follow = _points(_to_follow(reg, [A, B, E]))
    with_c = match_hairs(base, _points(follow.xy_px, candidates=candidates), reg)
    without = match_hairs(base, follow, reg, MatchConfig(rescue=False))
    for name in ("pairs", "distance_um", "lost", "new", "base_counted", "follow_counted"):
        np.testing.assert_array_equal(getattr(with_c, name), getattr(without, name))
    assert with_c.base is base and with_c.overlap_area_cm2 == without.overlap_area_cm2


def test_candidates_alone_never_count():
    reg = _registration()
    base = _points([A], candidates=[C])
    follow = _points(_to_follow(reg, [A]), candidates=_to_follow(reg, [C, E]))
    m = match_hairs(base, follow, reg)
    assert (m.matched, len(m.lost), len(m.new), m.rescued) == (1, 0, 0, 0)
    assert (len(m.base), len(m.follow)) == (1, 1)


def test_far_candidate_does_not_rescue():
    reg = _registration()
    base = _points([A, B, C])
    far = (C[0] + 14.0, C[1])  # 70 um away: beyond the matching distance
    follow = _points(_to_follow(reg, [A, B]), candidates=_to_follow(reg, [far]) - 0.7)
    m = match_hairs(base, follow, reg)
    assert (m.matched, len(m.lost), m.rescued) == (2, 1, 0)
    assert len(m.follow) == 2


def test_rescued_candidate_outside_the_counted_area_is_given_back():
    reg = _registration(0.0, (0.0, 0.0))
    centre, r = (SIZE - 1) / 2.0, 60.0
    inner, outer = (centre + r - 1.0, centre), (centre + r + 5.0, centre)  # pair midpoint outside
    near = (100.0, 80.0)
    base = _points([near, inner])
    follow = _points(_to_follow(reg, [near]), candidates=_to_follow(reg, [outer]) - 0.7)
    m = match_hairs(base, follow, reg, MatchConfig(roi_radius_um=r * UPP))
    assert m.rescued == 0 and len(m.follow) == 1 and len(m.follow.candidates_xy) == 1
    assert m.base_fates() == ["kept", "lost"] and m.follow_fates() == ["kept"]


def test_candidates_are_validated_and_rescaled():
    with pytest.raises(DataFormatError, match="candidates_xy"):
        _points([A], candidates=np.zeros((2, 3)))
    with pytest.raises(DataFormatError, match="NaN"):
        _points([A], candidates=[[np.nan, 1.0]])
    p = _points([A], candidates=[[0.0, 0.0]]).rescaled(2.0)
    assert p.candidates_xy.tolist() == [[0.5, 0.5]]
    assert _points([A]).rescaled(2.0).candidates_xy is None


def test_rescued_hair_takes_its_partners_class_in_the_summary():
    reg = _registration()
    base, follow = _scene(reg)  # every hair 40 um: non-vellus
    m = match_hairs(base, follow, reg)
    s = m.summary()
    # the rescued follow-up hair (no diameter of its own) is not counted as vellus
    assert s["followup_non_vellus"] == s["followup_count"] == 3
    assert s["baseline_non_vellus"] == 4
    assert (s["vellus_to_non_vellus"], s["non_vellus_to_vellus"]) == (0, 0)
    db, df = m.class_diameters_um()
    assert np.all(db == 40.0) and np.all(df == 40.0)
    assert np.isnan(m.follow.diameter_um[2])  # the hair itself still has no measured diameter


def test_rescued_hair_is_marked_in_the_record_and_drawn():
    from trichometry.visits.overlay import render_overlay

    reg = _registration()
    base, follow = _scene(reg)
    m = match_hairs(base, follow, reg)
    rec = comparison_record(m, change_from_matching(m))
    assert [h["rescued"] for h in rec["baseline_hairs"]] == [False] * 4
    assert [h["rescued"] for h in rec["followup_hairs"]] == [False, False, True]
    img = np.full((SIZE, SIZE, 3), 200, np.uint8)
    png = render_overlay(m, img, img)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_comparison_legend_is_outside_both_photos():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from trichometry.visits.overlay import comparison_figure

    reg = _registration()
    base, follow = _scene(reg)
    img = np.full((SIZE, SIZE, 3), 200, np.uint8)
    fig = comparison_figure(match_hairs(base, follow, reg), img, img)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    photos = [ax.images[0].get_window_extent(renderer) for ax in fig.axes]
    assert len(photos) == 2 and not any(box.overlaps(p) for p in photos)
