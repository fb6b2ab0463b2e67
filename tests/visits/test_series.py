from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from trichometry.errors import CalibrationError, DataFormatError, ImageRejected
from trichometry.visits import VisitPhotos, compare_series, compare_visit
from trichometry.visits.series import visit_repeatability

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
