"""Pages render analyses whose summary lacks optional keys (older or partial analyses)."""

from __future__ import annotations

import datetime as dt

import pytest

from trichometry.store import AnalysisRecord

from .conftest import PASSWORD, photo_png


@pytest.mark.parametrize(
    "summary",
    [
        {"count": 12, "density_per_cm2": 120.0, "mean_thickness_um": 55.0},  # no non-vellus, no vellus share
        {"count": 12},
        {},
    ],
)
def test_pages_show_a_dash_for_missing_summary_keys(service, summary):
    client_for, store = service
    admin = store.authenticate("admin", PASSWORD)
    subj = store.create_subject(admin, "S-OLD", "A")
    visit = store.create_visit(admin, subj.id, dt.date(2026, 1, 5), "vertex", None)
    vi, _ = store.add_image(admin, visit.id, photo_png(1, 32), "old.png", 2.8)
    rec = AnalysisRecord("classical", "old", "0", "-", "0.0.1", "c" * 64, "ok", summary, {"hairs": []})
    store.add_analysis(vi.id, rec, admin)
    doc = client_for("doc_a")
    image = doc.get(f"/images/{vi.id}")
    assert image.status_code == 200, image.text[:300]
    assert "Non-vellus density</th><td>– /cm²" in image.text
    assert "Vellus share</th><td>– %" in image.text
    if "count" not in summary:
        assert "Hairs</th><td>–" in image.text
    for url in (f"/visits/{visit.id}", f"/subjects/{subj.id}", f"/subjects/{subj.id}/report.pdf"):
        r = doc.get(url)
        assert r.status_code == 200, (url, r.text[:300])
