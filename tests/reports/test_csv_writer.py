from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest

from trichometry.reports import RecordListSource, build_report, write_report
from trichometry.reports.bds import COLUMNS, NUMERIC
from trichometry.reports.csv_writer import csv_bytes, provenance_path

TS = "2026-11-21T08:00:00Z"


@pytest.fixture
def report(cohort_factory):
    records, _ = cohort_factory(n_per_arm=3, noise_sd=1.0)
    records = [
        dataclasses.replace(r, subject="=cmd|' /C calc'!A0") if r.subject == "T000" else r for r in records
    ]
    return build_report(RecordListSource(records), generated_at=TS)


def _read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_long_csv_round_trips_exactly(report):
    rows = _read(csv_bytes(report))
    assert list(rows[0]) == list(COLUMNS)
    # params x visits x subjects, plus one headline row per analysed follow-up visit
    assert len(rows) == len(report.rows) == 6 * 5 * 6 + 4 * 6
    for got, want in zip(rows, report.rows):
        for col in COLUMNS:
            if col in NUMERIC:
                assert (float(got[col]) if got[col] else None) == want[col], col
            elif col != "USUBJID":
                assert got[col] == (want[col] or ""), col


def test_headline_rows_lead_with_independent_counts_without_photos(report):
    rows = _read(csv_bytes(report))
    heads = [r for r in rows if r["PARAMCD"] == "DENSHCHG"]
    dens = {(r["USUBJID"], r["VISIT"]): r for r in rows if r["PARAMCD"] == "DENS"}
    assert len(heads) == 24
    for h in heads:  # a folder of results cannot register photos: the independent change leads
        assert h["METHOD"] == "independent counts" and h["ANL01FL"] == "Y"
        assert float(h["AVAL"]) == float(dens[(h["USUBJID"], h["VISIT"])]["CHG"])
        assert float(h["AVALLO"]) < float(h["AVAL"]) < float(h["AVALHI"])


def test_negative_changes_stay_numbers_and_formula_text_is_neutralised(report):
    rows = _read(csv_bytes(report))
    neg = [r for r in rows if r["CHG"].startswith("-")]
    assert neg and all(float(r["CHG"]) < 0 for r in neg)
    hostile = [r for r in rows if "calc" in r["USUBJID"]]
    assert hostile and all(r["USUBJID"] == "'=cmd|' /C calc'!A0" for r in hostile)
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values() if v and v[0] != "'")


def test_rows_carry_image_hashes_model_and_convention(report):
    rows = _read(csv_bytes(report))
    r = next(r for r in rows if r["ABLFL"] == "Y")
    assert len(r["IMGSHA256"]) == 64 and r["MODEL"] == "unet-small" and r["MODELSHA"] == "ab" * 32
    assert r["CONVENTION"] == "trial (30 um)" and r["ADY"] == "1" and r["AVISIT"] == "Baseline"


def test_export_is_byte_identical_and_has_a_provenance_sidecar(report, cohort_factory, tmp_path):
    a = write_report(report, "csv", tmp_path / "a.csv")
    records, _ = cohort_factory(n_per_arm=3, noise_sd=1.0)
    records = [
        dataclasses.replace(r, subject="=cmd|' /C calc'!A0") if r.subject == "T000" else r for r in records
    ]
    again = build_report(RecordListSource(list(reversed(records))), generated_at=TS)
    b = write_report(again, "csv", tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()
    prov = json.loads(provenance_path(a).read_text())
    assert prov["generated_at"] == TS and prov["data_sha256"] == report.provenance["data_sha256"]
    assert prov["models"][0]["sha256"] == "ab" * 32 and len(prov["images"]) == 30
    assert provenance_path(a).read_bytes() == provenance_path(b).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.csv",
        "a.csv.provenance.json",
        "b.csv",
        "b.csv.provenance.json",
    ]
