"""Many concurrent uploads (some hostile) against a live server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from trichometry.store import Store
from trichometry.store.models import Image, VisitImage
from trichometry.web.app import ServiceSettings, create_app

from .conftest import PASSWORD, fake_analyser, photo_png


def test_concurrent_uploads_no_5xx_and_records_match(tmp_path, fast_password_hashing):
    import uvicorn

    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", PASSWORD, "admin")
    store.create_site("A", "A", actor=admin)
    store.create_user("doc", PASSWORD, "clinician", "A", actor=admin)
    app = create_app(store, ServiceSettings(max_upload_bytes=200_000, max_files=4), analyser=fake_analyser)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        c = httpx.Client(base_url=base, timeout=60)
        c.headers["X-CSRF-Token"] = c.post(
            "/api/login", json={"username": "doc", "password": PASSWORD}
        ).json()["csrf_token"]
        subj = c.post("/api/subjects", json={"code": "S-L"}).json()
        visit = c.post(f"/api/subjects/{subj['id']}/visits", json={"date": "2026-01-01"}).json()
        url = f"/api/visits/{visit['id']}/images"
        payloads = []
        for i in range(24):
            kind = i % 4
            if kind == 0:
                payloads.append(("good", photo_png(i)))
            elif kind == 1:
                payloads.append(("dup", photo_png(0)))  # the same bytes from many threads at once
            elif kind == 2:
                payloads.append(("bad", b"<script>alert(1)</script>" * (i + 1)))
            else:
                payloads.append(("big", b"\xff\xd8\xff" + b"\0" * 250_000))

        def send(item):
            kind, data = item
            r = c.post(url, files=[("files", ("../../x.jpg", data, "image/jpeg"))])
            return kind, r.status_code, r.json()

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(send, payloads))
        statuses = [status for _, status, _ in results]
        assert all(st < 500 for st in statuses), results
        assert {st for k, st, _ in results if k == "bad"} == {415}
        assert {st for k, st, _ in results if k == "big"} == {413}
        accepted = {body[0]["sha256"] for k, st, body in results if st == 201}
        assert {st for k, st, _ in results if k in ("good", "dup")} == {201}
        with store.session() as s:
            n_images = s.execute(select(func.count()).select_from(Image)).scalar()
            n_links = s.execute(select(func.count()).select_from(VisitImage)).scalar()
        assert n_images == n_links == len(accepted) == 6  # 6 distinct photos (one shared by the "dup"s)
        names = {vi.filename for vi in store.list_visit_images(admin, visit["id"])}
        assert names == {"x.jpg"}  # no path from the hostile name survives
        assert store.verify_audit() == (True, None)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        store.close()
