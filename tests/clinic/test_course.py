"""A subject's course on the trial report's rules: values, windows, rejects, corrections, notes."""

from __future__ import annotations

import pytest

from trichometry.clinic.course import photo_quality, subject_course
from trichometry.store import AnalysisRecord, Store
from trichometry.web.plots import figure_bytes, timeline_figure
from trichometry.web.report import subject_report_pdf

from ..web.conftest import photo_png


def _record(density: float, thickness: float, quality: str = "ok", reasons=()) -> AnalysisRecord:
    return AnalysisRecord(
        method="classical", model_name="t", model_version="1", weights_sha256="-", code_version="t",
        config_hash="0" * 64, quality=quality,
        summary={"count": int(density / 10), "density_per_cm2": density, "area_cm2": 0.1,
                 "nonvellus_density_per_cm2": density * 0.9, "mean_thickness_um": thickness,
                 "vellus_share": 0.1},
        result={"hairs": [], "quality": {"verdict": quality, "reasons": list(reasons)}},
    )  # fmt: skip


@pytest.fixture
def world(tmp_path):
    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", "admin-password", "admin")
    store.create_site("A", "A", actor=admin)
    subject = store.create_subject(admin, "S-1")
    yield store, admin, subject
    store.close()


_SEEDS = iter(range(1000, 100_000))


def _visit(store, admin, subject, date, values, site="frontal", analyse=True):
    visit = store.create_visit(admin, subject.id, date, site)
    for i, (density, thickness, quality) in enumerate(values):
        vi, _ = store.add_image(admin, visit.id, photo_png(next(_SEEDS)), f"{i}.png", um_per_px=4.0)
        if analyse:
            store.add_analysis(vi.id, _record(density, thickness, quality))
    return visit


def test_means_change_windows_and_rejects(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok"), (220, 62, "warn"), (999, 1, "reject")])
    _visit(store, admin, subject, "2026-01-29", [(231, 63, "ok")])  # day 28 -> 1m window
    _visit(store, admin, subject, "2026-02-15", [])  # no photos yet
    course = subject_course(store, admin, subject.id)
    rows = course.rows
    assert [r.window for r in rows] == ["baseline", "1m", None]
    base, m1, empty = rows
    assert (base.photos, base.analysed) == (3, 2)  # the rejected photo carries no numbers
    assert base.values["density_per_cm2"] == pytest.approx(210.0)
    assert m1.change["density_per_cm2"] == pytest.approx(21.0)
    assert m1.change_pct["density_per_cm2"] == pytest.approx(10.0)
    assert m1.change["mean_thickness_um"] == pytest.approx(2.0)
    assert m1.values["vellus_share_pct"] == pytest.approx(10.0)
    assert empty.values == {} and empty.change == {}
    assert m1.day == 28 and rows[0].to_dict()["window"] == "baseline"
    # Poisson interval of the density: 23 hairs on 0.1 cm2 -> +/- 1.96 * sqrt(23) / 0.1
    assert m1.high["density_per_cm2"] - m1.values["density_per_cm2"] == pytest.approx(
        1.96 * 23**0.5 / 0.1, 0.01
    )
    (head,) = course.headlines
    assert head.window == "1m" and head.measure == "independent counts"  # no hairs to register
    assert head.change.estimate == pytest.approx(21.0) and head.change.low < 21.0 < head.change.high
    assert m1.headline is head and "not available" in head.sentence()


def test_the_visit_closest_to_the_window_target_is_the_one_analysed(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")])
    _visit(store, admin, subject, "2026-01-26", [(240, 60, "ok")])  # day 25: 1m, 5 days off target
    _visit(store, admin, subject, "2026-01-31", [(230, 60, "ok")])  # day 30: on target
    course = subject_course(store, admin, subject.id)
    assert [r.analysed_for_window for r in course.rows] == [True, False, True]
    (head,) = course.headlines
    assert head.visit == "2026-01-31" and head.change.estimate == pytest.approx(30.0)


def test_corrections_change_the_course(world):
    store, admin, subject = world
    visit = _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")])
    vi = store.list_visit_images(admin, visit.id)[0]
    store.correct_analysis(admin, store.latest_analysis(vi.id).id, {"density_per_cm2": 180}, "hand count")
    assert subject_course(store, admin, subject.id).rows[0].values["density_per_cm2"] == 180


def test_each_target_site_has_its_own_baseline(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")])
    _visit(store, admin, subject, "2026-04-01", [(210, 60, "ok")], site="vertex")
    course = subject_course(store, admin, subject.id)
    assert [r.window for r in course.rows] == ["baseline", "baseline"] and course.headlines == []


def test_an_unanalysed_baseline_says_so(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")], analyse=False)
    _visit(store, admin, subject, "2026-01-31", [(230, 60, "ok")])
    course = subject_course(store, admin, subject.id)
    assert "2026-01-01" in course.note and "no analysed photo yet" in course.note
    assert course.headlines == [] and all(r.change == {} for r in course.rows)


def test_rejected_photos_say_why_and_what_to_do(world):
    store, admin, subject = world
    visit = store.create_visit(admin, subject.id, "2026-01-01", "frontal")
    vi, _ = store.add_image(admin, visit.id, photo_png(5), "a.png", um_per_px=4.0)
    reasons = ["reject: out of focus (edge blur 40 um > 25 um); re-focus, re-take."]
    a = store.add_analysis(vi.id, _record(200, 60, "reject", reasons))
    q = photo_quality(a)
    assert q.verdict == "reject" and q.reasons == reasons
    assert q.advice == "Re-focus the dermoscope, re-take the photo at the marked target area."
    warn = photo_quality(store.add_analysis(vi.id, _record(200, 60, "warn", ["warn: glare covers 3 %"])))
    assert warn.reasons == ["warn: glare covers 3 %"] and warn.advice == ""


def test_plot_and_pdf_render(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")])
    _visit(store, admin, subject, "2026-04-01", [(230, 62, "ok")])
    store.add_treatment_session(admin, subject.id, "2026-01-02", "PRP", "")
    course = subject_course(store, admin, subject.id)
    assert figure_bytes(timeline_figure(course))[:8] == b"\x89PNG\r\n\x1a\n"
    assert subject_report_pdf(course)[:5] == b"%PDF-"
    # a vellus-share panel always; the non-vellus panel only where it differs from density
    from trichometry.web.plots import panels

    shown = panels(course)
    assert "vellus_share_pct" in shown
    same = all(r.values["nonvellus_density_per_cm2"] == r.values["density_per_cm2"] for r in course.rows)
    assert ("nonvellus_density_per_cm2" in shown) != same
    for r in course.rows:
        r.values["nonvellus_density_per_cm2"] = r.values["density_per_cm2"]
    assert "nonvellus_density_per_cm2" not in panels(course)
