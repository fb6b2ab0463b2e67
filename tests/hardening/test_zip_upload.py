"""Zip batches through the web upload: unpacked under the archive limits, all or nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from hardening_samples import jpeg_bytes, png_bytes

from trichometry.store import Store

PW = "zip-upload-password"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def doc(tmp_path):
    from fastapi.testclient import TestClient

    from trichometry.web.app import ServiceSettings, create_app

    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", PW, "admin")
    store.create_site("A", "A", actor=admin)
    store.create_user("doc", PW, "clinician", "A", actor=admin)

    def no_analysis(*_args, **_kwargs):
        raise RuntimeError("analysis is not part of this test")

    app = create_app(store, ServiceSettings(max_upload_bytes=300_000, max_files=5), analyser=no_analysis)
    with TestClient(app) as c:
        r = c.post("/api/login", json={"username": "doc", "password": PW})
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        subj = c.post("/api/subjects", json={"code": "S-Z1"}).json()
        visit = c.post(f"/api/subjects/{subj['id']}/visits", json={"date": "2026-01-01"}).json()
        yield c, visit["id"], tmp_path / "data"
    store.close()


def _stored(client, visit_id) -> list[str]:
    return [im["filename"] for im in client.get(f"/api/visits/{visit_id}").json()["images"]]


def test_zip_batch_stores_every_photo(doc):
    client, visit, _ = doc
    data = _zip({"v1/a.jpg": jpeg_bytes(1), "v1/b.png": png_bytes(2), "notes.txt": b"x"})
    r = client.post(f"/api/visits/{visit}/images", files=[("files", ("batch.zip", data, "application/zip"))])
    assert r.status_code == 201, r.text
    assert sorted(_stored(client, visit)) == ["a.jpg", "b.png"]


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ({"ok.jpg": jpeg_bytes(1), "../evil.jpg": jpeg_bytes(2)}, "outside its folder"),
        (
            {"ok.jpg": jpeg_bytes(1), "bomb.jpg": b"\xff\xd8\xff" + b"\0" * 5_000_000},
            "zip bomb|limit per photo",
        ),
        ({f"p{i}.jpg": b"" for i in range(500)}, "entries"),
        ({"ok.jpg": jpeg_bytes(1), "fake.jpg": b"<html><script>alert(1)</script>"}, "not a supported image"),
        ({"ok.jpg": jpeg_bytes(1), "poly.jpg": jpeg_bytes(3) + b"<html>"}, "hides"),
    ],
)
def test_hostile_zip_stores_nothing(doc, entries, match):
    import re

    client, visit, data_dir = doc
    r = client.post(
        f"/api/visits/{visit}/images", files=[("files", ("b.zip", _zip(entries), "application/zip"))]
    )
    assert 400 <= r.status_code < 500 and re.search(match, r.json()["detail"]), r.text
    assert _stored(client, visit) == []
    assert list((data_dir / "blobs" / "objects").glob("??/*")) == []  # no file either
