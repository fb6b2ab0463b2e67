"""Identifier scrub (RELIABILITY.md test 8): canaries planted in EXIF, XMP, IPTC, PNG text,
TIFF tags and DICOM patient tags reach no derivative, export or log line."""

from __future__ import annotations

import logging
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner
from hardening_canary import CANARY, PLANTED, contains_canary

from trichometry.cli.main import cli
from trichometry.io import read_image
from trichometry.privacy import RedactingFilter, metadata_text, redact, scrubbed_copy


@pytest.mark.parametrize("fmt", sorted(PLANTED))
def test_canaries_are_really_planted_and_scrub_removes_them(fmt):
    data = PLANTED[fmt]()
    assert contains_canary(data)
    assert sum(CANARY in t for t in metadata_text(data)) >= (3 if fmt == "dicom" else 4)
    clean = scrubbed_copy(data)
    assert not contains_canary(clean)
    assert metadata_text(clean) == []
    assert np.array_equal(read_image(clean).image, read_image(data).image)  # same pixels


def test_analyze_outputs_and_logs_carry_no_identifier(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for fmt, make in PLANTED.items():
        (inputs / f"photo_{fmt}.{ {'jpeg': 'jpg', 'dicom': 'dcm'}.get(fmt, fmt) }").write_bytes(
            make(size=160)
        )
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli, ["-vv", "analyze", str(inputs), "--out", str(out), "--method", "classical", "--um-per-px", "4"]
    )
    assert r.exit_code == 0, r.output
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) >= 8  # results and overlays for four photos
    leaked = [p.name for p in written if contains_canary(p.read_bytes())]
    assert leaked == []
    assert CANARY not in r.output


def test_redacting_filter_keeps_learned_identifiers_out_of_logs(caplog):
    redactor = RedactingFilter()
    assert redactor.learn(PLANTED["dicom"]()) >= 1
    assert redactor.learn(PLANTED["jpeg"]()) >= 1
    assert redactor.learn(b"not an image") == 0
    log = logging.getLogger("trichometry.test_privacy")
    log.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger="trichometry.test_privacy"):
            log.info("analysing %s for %s", "photo.jpg", CANARY)
            log.info("comment was %s-artist", CANARY)
    finally:
        log.removeFilter(redactor)
    assert CANARY not in caplog.text and "[redacted]" in caplog.text and "photo.jpg" in caplog.text
    assert redact("a JANE b", ["JANE", "ab"]) == "a [redacted] b"  # too-short identifiers are kept


def test_web_derivatives_exports_and_database_carry_no_identifier(tmp_path):
    """Real analyses (classical) of planted photos; everything but the original bytes is clean."""
    from fastapi.testclient import TestClient

    from trichometry.clinic.analysis import AnalysisSettings
    from trichometry.store import Store
    from trichometry.web.app import ServiceSettings, create_app

    pw = "canary-test-password"
    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", pw, "admin")
    store.create_site("A", "A", actor=admin)
    store.create_user("doc", pw, "clinician", "A", actor=admin)
    store.create_user("coord", pw, "coordinator", actor=admin)
    app = create_app(store, ServiceSettings(analysis=AnalysisSettings(method="classical")))
    clients = {}
    with TestClient(app) as doc, TestClient(app) as coord:
        for name, c in (("doc", doc), ("coord", coord)):
            r = c.post("/api/login", json={"username": name, "password": pw})
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            clients[name] = c
        subj = doc.post("/api/subjects", json={"code": "S-0001"}).json()
        visit = doc.post(f"/api/subjects/{subj['id']}/visits", json={"date": "2026-01-05"}).json()
        files = [
            ("files", (f"x.{fmt}", PLANTED[fmt](size=160), "application/octet-stream"))
            for fmt in ("jpeg", "png", "tiff")
        ]
        r = doc.post(f"/api/visits/{visit['id']}/images", files=files, data={"um_per_px": "4"})
        assert r.status_code == 201, r.text
        ids = [x["visit_image_id"] for x in r.json()]
        import time

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            jobs = doc.get(f"/api/visits/{visit['id']}/jobs").json()
            if len(jobs) == 3 and all(j["status"] in ("done", "failed") for j in jobs):
                break
            time.sleep(0.2)
        assert all(j["status"] == "done" for j in jobs), jobs
        seen = [coord.get("/api/export.csv").content, coord.get(f"/api/visits/{visit['id']}").content]
        for i in ids:
            seen += [
                coord.get(f"/images/{i}/original").content,
                coord.get(f"/images/{i}/overlay.png").content,
                coord.get(f"/api/images/{i}/result.json").content,
                doc.get(f"/images/{i}/overlay.png").content,
                doc.get(f"/api/images/{i}/result.json").content,
            ]
        assert all(len(b) > 0 for b in seen)
        assert not any(contains_canary(b) for b in seen)
        originals = {x["sha256"] for x in r.json()}
    # stored derivatives (overlays) and the whole database are clean; only originals keep metadata
    blobs = [p for p in (tmp_path / "data" / "blobs" / "objects").glob("??/*")]
    derived = [p for p in blobs if p.name not in originals]
    assert len(derived) == 3
    assert not any(contains_canary(p.read_bytes()) for p in derived)
    assert all(contains_canary(p.read_bytes()) for p in blobs if p.name in originals)
    store.close()
    con = sqlite3.connect(tmp_path / "data" / "trichometry.sqlite")
    dump = "\n".join(con.iterdump())
    con.close()
    assert CANARY not in dump


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff"])
def test_store_without_originals_keeps_only_pixels(tmp_path, fmt):
    from trichometry.store import Store

    store = Store.open(tmp_path / "data")
    store.keep_originals = False
    admin = store.create_user("admin", "admin-password", "admin")
    store.create_site("A", "A", actor=admin)
    visit = store.create_visit(admin, store.create_subject(admin, "S-1", "A").id, "2026-01-01", "frontal")
    data = PLANTED[fmt]()
    vi, created = store.add_image(admin, visit.id, data, "jane.jpg")
    again, created_again = store.add_image(admin, visit.id, data, "jane.jpg")
    assert created and not created_again and again.id == vi.id  # the rebuild is deterministic
    stored = store.image_bytes(vi.image.sha256)
    assert vi.image.format == "PNG" and not contains_canary(stored) and metadata_text(stored) == []
    assert np.array_equal(read_image(stored).image, read_image(data).image)
    assert [
        p for p in (tmp_path / "data" / "blobs" / "objects").glob("??/*") if contains_canary(p.read_bytes())
    ] == []
    store.close()
