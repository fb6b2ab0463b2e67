"""The trial report download: roles, site limits, formats, audit, and clear refusals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from trichometry.store import AnalysisRecord
from trichometry.store.models import AuditEvent

from .conftest import PASSWORD, photo_png

AREA = 0.1
# subject -> (site, arm, hair count at day 0, at day 91)
COHORT = {
    "S-A1": ("A", "treated", 20, 26),
    "S-A2": ("A", "control", 25, 24),
    "S-B1": ("B", "treated", 30, 33),
}


def _record(n: int) -> AnalysisRecord:
    result = {
        "summary": {"hair_count": n, "area_cm2": AREA, "density_per_cm2": n / AREA},
        "hairs": [{"thickness_um": 50.0 if i % 4 else 20.0} for i in range(n)],
        "convention": {"name": "trial", "cutoffs_um": [30.0]},
    }
    summary = {"count": n, "density_per_cm2": n / AREA}
    return AnalysisRecord("model", "hairnet-s", "0.1.0", "ab" * 32, "0.1.0", "c" * 64, "ok", summary, result)


def _fill(store, cohort=COHORT, analyse_baseline: bool = True) -> None:
    admin = store.authenticate("admin", PASSWORD)
    seed = 0
    for code, (site, arm, n0, n1) in cohort.items():
        subj = store.create_subject(admin, code, site)
        for day, n in ((0, n0), (91, n1)):
            visit = store.create_visit(
                admin, subj.id, dt.date(2026, 1, 5) + dt.timedelta(days=day), "vertex", arm
            )
            vi, _ = store.add_image(admin, visit.id, photo_png(seed, 32), f"{code}_{day}.png", 2.8)
            seed += 1
            if day > 0 or analyse_baseline:
                store.add_analysis(vi.id, _record(n), admin)


def _subjects_in_csv(body: bytes) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert rows, "the CSV has no data rows"
    return {r["USUBJID"] for r in rows}


@pytest.mark.parametrize(
    ("role", "visible"),
    [("admin", {"S-A1", "S-A2", "S-B1"}), ("coord", {"S-A1", "S-A2", "S-B1"}), ("doc_a", {"S-A1", "S-A2"}),
     ("doc_b", {"S-B1"})],
)  # fmt: skip
def test_csv_holds_exactly_the_subjects_the_role_may_read(service, role, visible):
    client_for, store = service
    _fill(store)
    r = client_for(role).get("/api/reports/trial.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(
        r'attachment; filename="trichometry-trial-report-\d{8}T\d{6}Z\.csv"', r.headers["content-disposition"]
    )
    assert _subjects_in_csv(r.content) == visible


def test_xlsx_and_pdf_are_real_files_and_every_export_is_audited(service):
    client_for, store = service
    _fill(store)
    coord = client_for("coord")
    x = coord.get("/api/reports/trial.xlsx")
    assert x.status_code == 200 and x.content[:4] == b"PK\x03\x04"
    assert x.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert x.headers["content-disposition"].endswith('.xlsx"')
    p = coord.get("/api/reports/trial.PDF")  # the extension is case-insensitive
    assert p.status_code == 200 and p.content[:5] == b"%PDF-"
    assert p.headers["content-type"] == "application/pdf"
    with store.session() as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "report.export")).scalars().all()
        got = [(e.username, e.target, e.detail.split()[:2]) for e in events]
    assert got == [
        ("coord", "trial", ["format=xlsx", "subjects=3"]),
        ("coord", "trial", ["format=pdf", "subjects=3"]),
    ]
    assert store.verify_audit()[0]


def test_anonymous_gets_401_and_unknown_format_404(service):
    client_for, store = service
    _fill(store)
    anon = client_for().get("/api/reports/trial.csv")
    assert anon.status_code == 401 and "log" in anon.json()["detail"]
    bad = client_for("coord").get("/api/reports/trial.docx")
    assert bad.status_code == 404 and "trial.xlsx" in bad.json()["detail"]


def test_nothing_to_report_is_a_clear_409_not_a_500(service):
    client_for, store = service
    r = client_for("coord").get("/api/reports/trial.xlsx")  # empty store
    assert r.status_code == 409 and "nothing to report" in r.json()["detail"]
    _fill(store, {"S-A1": COHORT["S-A1"]})
    assert client_for("doc_a").get("/api/reports/trial.csv").status_code == 200
    r = client_for("doc_b").get("/api/reports/trial.csv")  # site B has no subjects
    assert r.status_code == 409 and "S-A1" not in r.text
    with store.session() as s:
        n = s.execute(select(AuditEvent).where(AuditEvent.action == "report.export")).scalars().all()
    assert len(n) == 1  # refusals export nothing and record no export


def test_a_subject_without_an_analysed_baseline_is_a_409_saying_what_to_add(service):
    client_for, store = service
    _fill(store, {"S-A1": COHORT["S-A1"]}, analyse_baseline=False)
    r = client_for("admin").get("/api/reports/trial.pdf")
    assert r.status_code == 409
    assert "baseline" in r.json()["detail"] and "S-A1" in r.json()["detail"]


def test_subjects_page_links_the_downloads(service):
    client_for, _store = service
    for role in ("coord", "doc_a"):
        html = client_for(role).get("/subjects").text
        for fmt in ("xlsx", "pdf", "csv"):
            assert f'href="/api/reports/trial.{fmt}"' in html
    assert "<title>Subjects" in client_for("coord").get("/subjects").text
