from __future__ import annotations

import json
import math

import numpy as np
import pytest

from trichometry.errors import ConfigError
from trichometry.synth import SceneRanges
from trichometry.synth.longitudinal import (
    ArmResponse,
    ResponseModel,
    SubjectTruth,
    VisitProtocol,
    simulate_cohort,
    simulate_subject,
)

SMALL = SceneRanges().with_overrides(width=160, height=128, um_per_px=6.0, density_per_cm2=220)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ArmResponse(-0.1, 0.01, 0.0), "shed_per_day"),
        (lambda: ResponseModel(new_hair_fraction=0.0), "new_hair_fraction"),
        (lambda: VisitProtocol(start_date="6 Jan"), "start_date"),
        (lambda: VisitProtocol(dormant_fraction=1.0), "dormant_fraction"),
        (lambda: VisitProtocol(visits=("baseline", "soon")), "unknown visit"),
        (lambda: simulate_subject("S1", 0, arm="placebo"), "arm"),
        (lambda: simulate_subject("../S1", 0), "subject id"),
        (lambda: simulate_subject("S1", -1), "seed"),
        (lambda: simulate_cohort(0, 1), "number of subjects"),
    ],
)
def test_bad_parameters_raise_config_error(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def _consistent(truth: SubjectTruth) -> None:
    """Fates, counts and densities in the truth agree with each other."""
    n_vis = len(truth.visits)
    for f in truth.follicles:
        assert len(f.states) == n_vis
        assert f.states[0].fate == "baseline" and f.states[0].generation == 0
        for a, b in zip(f.states, f.states[1:]):
            expect = {
                (True, True): "kept" if a.generation == b.generation else "replaced",
                (True, False): "lost",
                (False, True): "new",
                (False, False): "absent",
            }[(a.active, b.active)]
            assert b.fate == expect
            assert b.generation >= a.generation
            if b.fate == "new":
                assert b.generation > a.generation
    for k, v in enumerate(truth.visits):
        in_t = [f.states[k] for f in truth.follicles if f.in_target]
        assert v.target_count == sum(s.active for s in in_t)
        assert v.target_density_per_cm2 == pytest.approx(v.target_count / truth.target_area_cm2)
        base = truth.visits[0]
        assert v.density_change_per_cm2 == pytest.approx(
            v.target_density_per_cm2 - base.target_density_per_cm2
        )
        if k > 0:  # count now = count before - lost + new
            prev = truth.visits[k - 1]
            assert v.target_count == prev.target_count - v.fates.get("lost", 0) + v.fates.get("new", 0)
            assert sum(v.fates.values()) == len(in_t)


def test_subject_truth_is_consistent_and_matches_rendered_images():
    subject = simulate_subject(
        "S001", 11, arm="treated", ranges=SMALL, protocol=VisitProtocol(visits=("baseline", "1m", "6m"))
    )
    truth = subject.truth
    _consistent(truth)
    assert [v.image_id for v in truth.visits] == ["S001_baseline", "S001_1m", "S001_6m"]
    assert [v.date for v in truth.visits] == ["2025-01-06", "2025-02-05", "2025-07-07"]
    by_id = {f.follicle_id: f for f in truth.follicles}
    for k, (visit, sample) in enumerate(subject.iter_samples()):
        assert sample.truth.image_id == visit.image_id
        assert sample.truth.count == visit.frame_count
        # every hair drawn is an active follicle of this visit, with its persistent id and diameter
        for h in sample.truth.hairs:
            st = by_id[h.follicle_id].states[k]
            assert st.active and h.diameter_um == pytest.approx(st.diameter_um, abs=1e-3)
        # every active follicle whose exit lies in the frame is drawn (same rule as counting)
        view = subject.views[k]
        drawn = {h.follicle_id for h in sample.truth.inside_hairs}
        expect = set()
        for f in truth.follicles:
            x, y = view.skin_to_px(np.asarray(f.exit_um))
            if f.states[k].active and -0.5 <= x < view.width - 0.5 and -0.5 <= y < view.height - 0.5:
                expect.add(f.follicle_id)
        assert drawn == expect
    # views differ between visits by a small re-positioning, same device
    v0, v1 = subject.views[0], subject.views[1]
    assert (v1.um_per_px, v1.width, v1.height) == (v0.um_per_px, v0.width, v0.height)
    assert 0 < math.hypot(*v1.centre_um) < 1000 and abs(v1.rotation_deg - v0.rotation_deg) < 20


def test_fates_between_and_diameter_change():
    truth = simulate_subject("S002", 5, ranges=SMALL).truth
    fates = truth.fates_between("baseline", "6m")
    assert set(fates.values()) <= {"kept", "lost", "new", "replaced", "absent"}
    base = sum(f.states[0].active for f in truth.follicles)
    last = sum(f.states[-1].active for f in truth.follicles)
    counts = {k: list(fates.values()).count(k) for k in ("kept", "lost", "new", "replaced")}
    assert last == base - counts["lost"] + counts["new"]
    assert base == counts["kept"] + counts["lost"] + counts["replaced"]
    dd = truth.diameter_change_um("baseline", "6m")
    assert set(dd) == {fid for fid, f in fates.items() if f == "kept"}


def test_same_seed_same_subject_and_json_round_trip():
    a = simulate_subject("S003", 9, ranges=SMALL)
    b = simulate_subject("S003", 9, ranges=SMALL)
    text = json.dumps(a.truth.to_dict(), sort_keys=True)
    assert text == json.dumps(b.truth.to_dict(), sort_keys=True)
    assert np.array_equal(a.render(1).image, b.render(1).image)
    back = SubjectTruth.from_dict(json.loads(text))
    assert json.dumps(back.to_dict(), sort_keys=True) == text
    assert back.density_change_per_cm2("6m") == pytest.approx(a.truth.density_change_per_cm2("6m"), abs=1e-3)
    c = simulate_subject("S003", 10, ranges=SMALL)
    assert json.dumps(c.truth.to_dict(), sort_keys=True) != text


def test_cohort_arms_and_independent_subjects():
    cohort = simulate_cohort(3, 4, ranges=SMALL, protocol=VisitProtocol(visits=("baseline", "2w")))
    assert [s.subject_id for s in cohort] == ["S001", "S002", "S003"]
    assert [s.arm for s in cohort] == ["treated", "control", "treated"]
    assert cohort[1].truth.response == 0.0  # control: natural course only
    more = simulate_cohort(4, 4, ranges=SMALL, protocol=VisitProtocol(visits=("baseline", "2w")))
    assert json.dumps(more[2].truth.to_dict()) == json.dumps(cohort[2].truth.to_dict())


def test_treatment_raises_density_and_thickness_against_control():
    """Over ~900 follicles per arm, the mean arm effect has the sign and size the model promises."""
    ranges = SceneRanges().with_overrides(width=400, height=320, um_per_px=8.0, density_per_cm2=250)
    proto = VisitProtocol(visits=("baseline", "6m"))
    model = ResponseModel(responder_sd=0.0, natural_sd=0.0)
    change, thick = {}, {}
    for arm in ("treated", "control"):
        before = after = 0
        dd = []
        for i in range(6):
            t = simulate_subject(
                f"S{i}", (7, i), arm=arm, ranges=ranges, protocol=proto, response=model
            ).truth
            before += sum(f.states[0].active for f in t.follicles)
            after += sum(f.states[1].active for f in t.follicles)
            dd.extend(t.diameter_change_um("baseline", "6m").values())
        change[arm] = after / before - 1.0
        thick[arm] = float(np.mean(dd))
    # equilibrium active share: treated 0.015/0.0158 = 95 %, control 0.009/0.0102 = 88 %, start 90 %
    assert change["treated"] > 0.02 and change["control"] < 0.0
    # drift +0.4 %/month vs -0.2 %/month on hairs of about 50-80 um, over 6 months
    assert thick["treated"] > 0.5 and thick["control"] < -0.1


def test_clipped_regrowth_length():
    """Clipped to 1 mm and photographed 2 days later: kept hairs are 1 mm + 2 x 0.3 mm."""
    proto = VisitProtocol(visits=("baseline", "1m"), clip_length_um=1000.0, clip_to_photo_days=2.0)
    truth = simulate_subject("S004", 2, ranges=SMALL, protocol=proto).truth
    kept = [f.states[1] for f in truth.follicles if f.states[1].fate == "kept"]
    assert kept and all(s.length_um == pytest.approx(1600.0) for s in kept)
    new = [f.states[1] for f in truth.follicles if f.states[1].fate == "new"]
    assert all(50.0 <= s.length_um <= 1600.0 for s in new)


def test_visits_on_arbitrary_dates_and_extra_photos():
    proto = VisitProtocol(visits=("baseline", "2025-02-01"), start_date="2025-01-06")
    subject = simulate_subject("S005", 1, ranges=SMALL, protocol=proto)
    v = subject.truth.visits[1]
    assert (v.day, v.date, v.image_id) == (26, "2025-02-01", "S005_2025-02-01")
    main, extra = subject.render(1), subject.extra_photo(1, 1)
    assert extra.truth.image_id == "S005_2025-02-01_p1"
    assert np.array_equal(extra.image, subject.extra_photo(1, 1).image)  # deterministic
    assert not np.array_equal(extra.image, main.image)  # another framing
    # the same follicles carry the same diameters in both photos
    d_main = {h.follicle_id: h.diameter_um for h in main.truth.hairs}
    for h in extra.truth.hairs:
        if h.follicle_id in d_main:
            assert h.diameter_um == d_main[h.follicle_id]
