from __future__ import annotations

import pytest

from trichometry.store import AnalysisRecord, Store
from trichometry.web.plots import figure_bytes, timeline_figure
from trichometry.web.report import subject_report_pdf
from trichometry.web.timeline import matched_comparisons, subject_timeline

from .conftest import photo_png


def _record(density: float, thickness: float, quality: str = "ok") -> AnalysisRecord:
    return AnalysisRecord(
        method="classical", model_name="t", model_version="1", weights_sha256="-", code_version="t",
        config_hash="0" * 64, quality=quality,
        summary={"count": int(density / 10), "density_per_cm2": density,
                 "nonvellus_density_per_cm2": density * 0.9, "mean_thickness_um": thickness,
                 "vellus_share": 0.1},
        result={"hairs": []},
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


def _visit(store, admin, subject, date, values, site="frontal"):
    visit = store.create_visit(admin, subject.id, date, site)
    for i, (density, thickness, quality) in enumerate(values):
        vi, _ = store.add_image(admin, visit.id, photo_png(next(_SEEDS)), f"{i}.png")
        store.add_analysis(vi.id, _record(density, thickness, quality))
    return visit


def test_means_change_windows_and_rejects(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok"), (220, 62, "warn"), (999, 1, "reject")])
    _visit(store, admin, subject, "2026-01-29", [(231, 63, "ok")])  # day 28 -> 1m window
    _visit(store, admin, subject, "2026-02-15", [])  # no photos yet
    rows = subject_timeline(store, admin, subject.id)
    assert [r.window for r in rows] == ["baseline", "1m", None]
    base, m1, empty = rows
    assert (base.photos, base.analysed) == (3, 2)  # the rejected photo is left out
    assert base.values["density_per_cm2"] == pytest.approx(210.0)
    assert m1.change["density_per_cm2"] == pytest.approx(21.0)
    assert m1.change_pct["density_per_cm2"] == pytest.approx(10.0)
    assert m1.change["mean_thickness_um"] == pytest.approx(2.0)
    assert empty.values["density_per_cm2"] is None and empty.change["density_per_cm2"] is None
    assert m1.day == 28 and rows[0].to_dict()["window"] == "baseline"


def test_corrections_change_the_timeline(world):
    store, admin, subject = world
    visit = _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")])
    vi = store.list_visit_images(admin, visit.id)[0]
    store.correct_analysis(admin, store.latest_analysis(vi.id).id, {"density_per_cm2": 180}, "hand count")
    assert subject_timeline(store, admin, subject.id)[0].values["density_per_cm2"] == 180


def test_comparison_explains_why_not(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")])
    _visit(store, admin, subject, "2026-04-01", [(210, 60, "ok")], site="vertex")
    rows = subject_timeline(store, admin, subject.id)
    (item,) = matched_comparisons(store, rows)
    assert "differs from the baseline" in item["error"]


def test_plot_and_pdf_render(world):
    store, admin, subject = world
    _visit(store, admin, subject, "2026-01-01", [(200, 60, "ok")])
    _visit(store, admin, subject, "2026-04-01", [(230, 62, "ok")])
    rows = subject_timeline(store, admin, subject.id)
    assert figure_bytes(timeline_figure(rows))[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = subject_report_pdf(store.get_subject(admin, subject.id), rows, matched_comparisons(store, rows))
    assert pdf[:5] == b"%PDF-"
