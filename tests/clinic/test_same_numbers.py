"""The patient page, /api/export.csv and the trial report give the same numbers.

A generated cohort (two subjects, baseline, 1 and 6 months, true change known) is analysed
once with the classical detector and stored on SQLite and on PostgreSQL; for every subject
and window, the headline change and its interval must read the same in all three places,
and so must every visit's values.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from trichometry.demo import analyse_cohort, fill_clinic, make_cohort
from trichometry.store import Store

from ..store.conftest import pg_schema_url

SMALL = {"width": 480, "height": 384, "um_per_px": 3.0, "density_per_cm2": (200.0, 260.0)}
PASSWORD = "same-numbers-password"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    cohort = make_cohort(root / "cohort", seed=3, progress=False, scene=SMALL)
    return cohort, analyse_cohort(cohort, root / "results", "classical", None, progress=False)


@pytest.fixture(scope="module")
def results_dir(analysed):
    cohort, _ = analysed
    return cohort.parent / "results"


def test_the_file_report_and_the_clinic_lead_with_the_same_change(analysed, results_dir, tmp_path):
    """Issue 27: the demo's file report and ``report --db`` lead every subject and window with the
    same measure, change, interval and visit date."""
    from trichometry.reports import ReportConfig, ResultsFolderSource, build_report
    from trichometry.reports.store_source import StoreSource

    cohort, results = analysed
    fill_clinic(cohort, results, tmp_path / "clinic", "classical", None)
    store = Store.open(tmp_path / "clinic")
    try:
        config = ReportConfig()
        source = ResultsFolderSource(results_dir, cohort / "manifest.csv")
        files = build_report(source, config).headlines
        clinic = build_report(StoreSource(store), config).headlines
    finally:
        store.close()

    dates = {(r.subject, r.visit): r.date.isoformat() for r in source.records()}

    def lead(heads, date_of):
        return {
            (h.subject, h.window): (
                date_of(h),
                h.measure,
                *(round(v, 6) for v in (h.change.estimate, h.change.low, h.change.high)),
            )
            for h in heads
        }

    assert lead(files, lambda h: dates[(h.subject, h.visit)]) == lead(clinic, lambda h: h.visit)
    assert len(files) == 4
    assert any(h.measure == "hair-to-hair" for h in files)


@pytest.fixture(params=["sqlite", "postgresql"])
def app_client(request, analysed, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from trichometry.web.app import ServiceSettings, create_app

    monkeypatch.setenv("TRICHOMETRY_ADMIN_PASSWORD", PASSWORD)
    url, cleanup = pg_schema_url() if request.param == "postgresql" else (None, lambda: None)
    cohort, results = analysed
    fill_clinic(cohort, results, tmp_path / "clinic", "classical", None, db_url=url)
    store = Store.open(tmp_path / "clinic", url)
    client = TestClient(create_app(store, ServiceSettings()), follow_redirects=False)
    with client:
        r = client.post("/api/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client, store
    store.close()
    cleanup()


ROW = re.compile(
    r'<tr class="headline[^"]*" data-window="([^"]+)" data-visit="([^"]+)"\s+data-measure="([^"]+)" '
    r'data-change="([^"]+)"\s+data-low="([^"]+)" data-high="([^"]+)">'
)


def _csv(client, url: str) -> list[dict[str, str]]:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def test_page_export_and_trial_report_agree(app_client):
    client, _store = app_client
    trial = _csv(client, "/api/reports/trial.csv")
    export = _csv(client, "/api/export.csv")
    subjects = client.get("/api/subjects").json()
    assert len(subjects) == 2
    seen = 0
    for subj in subjects:
        page = client.get(f"/subjects/{subj['id']}").text
        heads = ROW.findall(page)
        assert [h[0] for h in heads] == ["1m", "6m"]
        for window, visit, measure, change, low, high in heads:
            (t,) = [r for r in trial if r["USUBJID"] == subj["code"] and r["PARAMCD"] == "DENSHCHG"
                    and r["AVISIT"] == window]  # fmt: skip
            (e,) = [r for r in export if r["subject"] == subj["code"] and r["window"] == window
                    and r["analysed_for_window"] == "Y"]  # fmt: skip
            assert t["VISIT"] == e["visit_date"] == visit
            assert t["METHOD"] == e["headline_measure"] == measure
            for got, key_t, key_e in ((change, "AVAL", "headline_density_change_per_cm2"),
                                      (low, "AVALLO", "headline_ci95_low"),
                                      (high, "AVALHI", "headline_ci95_high")):  # fmt: skip
                assert float(got) == pytest.approx(float(t[key_t]), abs=1e-6) == float(e[key_e])
            assert float(low) < float(change) < float(high)
            seen += measure == "hair-to-hair"
        # every visit's density and its change from baseline read the same in export and report
        for e in (r for r in export if r["subject"] == subj["code"]):
            (d,) = [r for r in trial if r["USUBJID"] == subj["code"] and r["PARAMCD"] == "DENS"
                    and r["VISIT"] == e["visit_date"]]  # fmt: skip
            assert float(e["density_per_cm2"]) == pytest.approx(float(d["AVAL"]), abs=1e-6)
            if d["CHG"]:
                assert float(e["change_density_per_cm2"]) == pytest.approx(float(d["CHG"]), abs=1e-6)
    assert seen >= 1, "no window was compared hair to hair on a registrable cohort"
