from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from trichometry.reports import RecordListSource, build_report
from trichometry.reports.parameters import PARAMETERS
from trichometry.reports.pdf_writer import pdf_bytes

TS = "2026-11-21T08:00:00Z"


@pytest.fixture(scope="module")
def pdf_pair():
    spec = importlib.util.spec_from_file_location("reports_cohort", Path(__file__).with_name("conftest.py"))
    cohort = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cohort)  # module-scoped fixture: conftest helpers by path
    records, _ = cohort.make_cohort(n_per_arm=2, noise_sd=1.0)
    report = build_report(RecordListSource(records), generated_at=TS)
    return report, pdf_bytes(report), pdf_bytes(build_report(RecordListSource(records), generated_at=TS))


def test_pdf_opens_with_the_expected_pages(pdf_pair):
    report, data, _ = pdf_pair
    reader = PdfReader(io.BytesIO(data))
    texts = [p.extract_text() for p in reader.pages]
    titles = [
        "Overview",
        "Baseline by arm",
        *[f"Statistics: {p.code}" for p in PARAMETERS],
        "Mean change from baseline by window",
        "Per-subject trajectories",
        "Headline density change per subject",
        "Listing: DENS",
        "Missing visits",
        "Provenance",
        "Images",
    ]
    assert len(texts) == len(titles)
    for text, title in zip(texts, titles):
        assert title in text
    assert "TRI-001" in texts[0] and report.provenance["data_sha256"] in texts[0]
    assert "2026-11-21T08:00:00Z" in texts[-2] and "ab" * 32 in texts[-2]
    assert "treated" in texts[2] and "Between arms" in texts[2]
    assert "VERSUS" in texts[1] and "control" in texts[1]
    meta = reader.metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20261121080000Z"


def test_pdf_is_byte_identical_when_repeated(pdf_pair):
    _, a, b = pdf_pair
    assert a == b


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_text_beyond_latin1_and_dollar_signs_are_kept_as_text():
    import dataclasses

    spec = importlib.util.spec_from_file_location("reports_cohort", Path(__file__).with_name("conftest.py"))
    cohort = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cohort)
    records, _ = cohort.make_cohort(n_per_arm=1)
    hostile = {"subject": "患者-1", "arm": "arm $x^$"}  # "$...$" would be mathtext (and crash)
    records = [dataclasses.replace(r, **hostile) if r.subject == "T000" else r for r in records]
    data = pdf_bytes(build_report(RecordListSource(records), generated_at=TS))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "患者-1" in text and "arm $x^$" in text
