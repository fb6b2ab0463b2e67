from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from trichometry.errors import CalibrationError, DataFormatError, ImageRejected
from trichometry.visits import VisitPhotos, compare_series, compare_visit
from trichometry.visits.visit import visit_repeatability

D0 = dt.date(2026, 1, 5)


def test_compare_series_assigns_windows_and_changes(make_paired):
    pf = make_paired(seed=7, p_lost=0.1, p_new=0.0)
    base = VisitPhotos("v0", D0, [pf.base])
    later = VisitPhotos("v3", D0 + dt.timedelta(days=92), [pf.follow])
    (res,) = compare_series([later, base])
    assert res.window == "3m" and res.day == 92
    c = res.change
    assert c.lost == pytest.approx(len(pf.lost_ids), abs=2) and c.new <= 2
    assert c.density_change_pct.estimate < 0
    assert res.to_dict()["registrations"][0]["confidence"] > 0.5


def test_rescaled_followup_is_reconciled_when_allowed(make_paired):
    pf = make_paired(seed=8, p_lost=0.0, p_new=0.0)
    f = pf.follow
    zoomed = type(f)(f.xy_px * 1.25 + 0.125, f.diameter_um, f.um_per_px / 1.25, 800, 640, ids=f.ids)
    base = VisitPhotos("v0", D0, [pf.base])
    later = VisitPhotos("v1", D0 + dt.timedelta(days=30), [zoomed])
    with pytest.raises(CalibrationError, match="um/px"):
        compare_visit(base, later)
    res = compare_visit(base, later, rescale=True)
    assert res.change.lost <= 2 and res.change.new <= 2
    assert abs(res.registrations[0].scale - 1) < 0.01


def test_bad_visits_raise_clear_errors(make_paired):
    pf = make_paired(seed=9)
    base = VisitPhotos("v0", D0, [pf.base])
    with pytest.raises(DataFormatError, match="before baseline"):
        compare_visit(base, VisitPhotos("v-1", D0 - dt.timedelta(days=3), [pf.follow]))
    with pytest.raises(ImageRejected, match="no usable image"):
        compare_visit(base, VisitPhotos("v1", D0 + dt.timedelta(days=14), []))


def test_visit_repeatability_uses_photo_spread(make_paired):
    a, b = make_paired(seed=1).base, make_paired(seed=2).base
    rep = visit_repeatability([VisitPhotos("v0", D0, [a, b])])
    d = np.array([len(a), len(b)]) / a.area_cm2
    assert rep.sem == pytest.approx(abs(d[0] - d[1]) / np.sqrt(2))


def test_several_followup_photos_are_combined_with_their_spread(make_paired):
    pf = make_paired(seed=12, p_lost=0.1, p_new=0.0)
    other = make_paired(seed=12, p_lost=0.1, p_new=0.0, rotation_deg=9.0, shift_px=(30.0, 20.0))
    base = VisitPhotos("v0", D0, [pf.base])
    later = VisitPhotos("v2", D0 + dt.timedelta(days=30), [pf.follow, other.follow])
    res = compare_visit(base, later)
    assert res.change.n_photos == 2 and len(res.registrations) == 2
    assert res.repeatability is not None and res.repeatability.n_photos == 2
    single = [compare_visit(base, VisitPhotos("v", later.date, [p])).change for p in later.photos]
    assert res.change.lost == pytest.approx(np.mean([c.lost for c in single]))
    assert res.to_dict()["repeatability"]["n_groups"] == 1


def test_every_baseline_photo_joins_the_change_and_a_stranger_is_left_out(make_paired):
    from trichometry.visits import HairPoints
    from trichometry.visits import similarity as sim

    pf = make_paired(seed=21, p_lost=0.15, p_new=0.0)
    b = pf.base
    # a second baseline photo of the same hairs, framed a little differently; one hair
    # missed in it, as a detector would
    t = sim.compose(1.0, -7.0, (25.0, 15.0))
    xy = sim.apply(t, b.xy_px)
    keep = sim.inside_polygon(sim.frame_polygon(b.width, b.height), xy)
    keep[np.flatnonzero(keep)[0]] = False
    base2 = HairPoints(xy[keep], b.diameter_um[keep], b.um_per_px, b.width, b.height, ids=b.ids[keep])
    later = VisitPhotos("v1", D0 + dt.timedelta(days=30), [pf.follow])
    res = compare_visit(VisitPhotos("v0", D0, [b, base2]), later)
    single = [compare_visit(VisitPhotos("v0", D0, [p]), later).change for p in (b, base2)]
    assert res.change.n_photos == 2 and len(res.registrations) == 1  # one per follow-up photo
    assert res.change.lost == pytest.approx(np.mean([c.lost for c in single]))
    assert res.change.density_change_pct.estimate == pytest.approx(
        np.mean([c.density_change_pct.estimate for c in single])
    )
    # a "baseline photo" of another area does not register: left out, the rest stands
    stranger = make_paired(seed=99).base
    res = compare_visit(VisitPhotos("v0", D0, [b, stranger]), later)
    assert res.change.n_photos == 1 and res.change.lost == single[0].lost


def test_a_target_circle_keeps_its_place_on_the_skin_in_every_baseline_photo(make_paired):
    import dataclasses

    from trichometry.visits import HairPoints, MatchConfig
    from trichometry.visits import similarity as sim

    pf = make_paired(seed=23, p_lost=0.2, p_new=0.0)
    b = pf.base
    t = sim.compose(1.0, 6.0, (-40.0, 25.0))  # base -> base2 pixels
    xy = sim.apply(t, b.xy_px)
    keep = sim.inside_polygon(sim.frame_polygon(b.width, b.height), xy)
    base2 = HairPoints(xy[keep], b.diameter_um[keep], b.um_per_px, b.width, b.height, ids=b.ids[keep])
    later = VisitPhotos("v1", D0 + dt.timedelta(days=30), [pf.follow])
    roi = MatchConfig(roi_radius_um=800.0)
    res = compare_visit(VisitPhotos("v0", D0, [b, base2]), later, matching=roi)
    centre = sim.apply(t, np.array([[(b.width - 1) / 2, (b.height - 1) / 2]]))[0]
    moved = dataclasses.replace(roi, roi_centre_px=(float(centre[0]), float(centre[1])))
    one = compare_visit(VisitPhotos("v0", D0, [b]), later, matching=roi).change
    two = compare_visit(VisitPhotos("v0", D0, [base2]), later, matching=moved).change
    assert one.baseline_count == two.baseline_count  # the same skin, the same hairs
    assert res.change.n_photos == 2
    assert res.change.lost == pytest.approx(np.mean([one.lost, two.lost]), abs=0.5)
