from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from trichometry.reports import RecordListSource, build_report, write_report
from trichometry.reports.xlsx_writer import xlsx_bytes

TS = "2026-11-21T08:00:00Z"


@pytest.fixture
def report(cohort_factory):
    records, _ = cohort_factory(n_per_arm=3, noise_sd=1.0)
    records = [dataclasses.replace(r, site="@SUM(1+1)*cmd") if r.subject == "C001" else r for r in records]
    return build_report(RecordListSource(records), generated_at=TS)


def test_workbook_sheets_values_and_safety(report):
    wb = load_workbook(io.BytesIO(xlsx_bytes(report)))
    assert wb.sheetnames == [
        "Summary",
        "Comparisons",
        "Baseline",
        "Headline",
        "Listing",
        "Missing",
        "Data",
        "Provenance",
        "Images",
    ]
    data = list(wb["Data"].iter_rows(values_only=True))
    header, rows = list(data[0]), data[1:]
    assert header == list(report.columns) and len(rows) == len(report.rows)
    chg = [r[header.index("CHG")] for r in rows if r[header.index("CHG")] is not None]
    assert any(v < 0 for v in chg) and all(isinstance(v, int | float) for v in chg)
    for got, want in zip(rows, report.rows):
        assert got[header.index("AVAL")] == want["AVAL"]
    sites = {r[header.index("SITE")] for r in rows}
    assert sites == {"vertex", "'@SUM(1+1)*cmd"}
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    summary = list(wb["Summary"].iter_rows(values_only=True))
    assert summary[0][:4] == ("PARAMCD", "SITE", "ARM", "WINDOW")
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(values_only=True)}
    assert prov["generated_at"] == TS and prov["data_sha256"] == report.provenance["data_sha256"]
    assert wb.properties.created == wb.properties.modified == dt.datetime(2026, 11, 21, 8, 0)


def test_export_is_byte_identical(report, tmp_path):
    a = write_report(report, "xlsx", tmp_path / "a.xlsx").read_bytes()
    b = write_report(report, "xlsx", tmp_path / "b.xlsx").read_bytes()
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 21, 8, 0, 0)}


def test_listing_sheet_is_one_row_per_subject_with_window_columns(report):
    wb = load_workbook(io.BytesIO(xlsx_bytes(report)))
    rows = list(wb["Listing"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("USUBJID", "ARM", "SITE", "BASE") and "6m PCHG" in header and "6m RESP" in header
    assert len(rows) - 1 == len({(o.subject, o.site) for o in report.observations})
    obs = next(o for o in report.observations if o.subject == "T002" and o.window and o.window.name == "6m")
    row = next(r for r in rows[1:] if r[0] == "T002")
    assert row[header.index("6m CHG")] == obs.chg["DENS"] and row[header.index("BASE")] == obs.base["DENS"]


@given(st.text(max_size=20))
@settings(max_examples=60, deadline=None)
def test_any_text_survives_a_workbook_round_trip_safely(text):
    from openpyxl import Workbook

    from trichometry.reports.xlsx_writer import _cell_value

    wb = Workbook()
    wb.active.append([_cell_value(text), -2.5])
    buf = io.BytesIO()
    wb.save(buf)
    got, num = next(load_workbook(buf).active.iter_rows(values_only=True))
    assert num == -2.5
    want = _cell_value(text)
    if want:  # XML stores line ends as \n
        want = want.replace("\r\n", "\n").replace("\r", "\n")
    assert got == (want or None)  # stored exactly as neutralised
    if got is not None and got.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(got)  # only a plain number may start with a sign
