"""Web fixtures: an app over a temporary store with a fast, clearly fake analyser."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from trichometry.clinic.analysis import AnalysisSettings
from trichometry.store import AnalysisRecord, Store
from trichometry.store.images import decode_rgb

PASSWORD = "test-password-123"


def fake_analyser(data, um_per_px, settings: AnalysisSettings, progress) -> AnalysisRecord:
    """TEST ONLY: counts dark pixels instead of hairs, so web tests run in milliseconds."""
    img = decode_rgb(data)
    progress(0.5)
    dark = int((img.mean(axis=2) < 100).sum())
    area_cm2 = img.shape[0] * img.shape[1] * ((um_per_px or 4.0) * 1e-4) ** 2
    count = max(1, dark // 50)
    buf = io.BytesIO()
    Image.fromarray(255 - img).save(buf, "PNG")
    return AnalysisRecord(
        method=settings.method,
        model_name="fake-test-analyser",
        model_version="0",
        weights_sha256="-",
        code_version="test",
        config_hash=settings.config_hash(um_per_px),
        quality="ok",
        summary={
            "count": count,
            "density_per_cm2": count / area_cm2,
            "nonvellus_density_per_cm2": 0.8 * count / area_cm2,
            "mean_thickness_um": 60.0,
            "vellus_share": 0.2,
        },
        result={"hairs": [], "um_per_px": um_per_px, "width": img.shape[1], "height": img.shape[0]},
        overlay_png=buf.getvalue(),
    )


def photo_png(seed: int = 0, size: int = 96) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    from argon2 import PasswordHasher

    import trichometry.store.passwords as passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def service(tmp_path):
    """``(client_factory, store)``: the app with two sites, an admin, two clinicians, a coordinator."""
    from fastapi.testclient import TestClient

    from trichometry.web.app import ServiceSettings, create_app

    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", PASSWORD, "admin")
    store.create_site("A", "Site A", actor=admin)
    store.create_site("B", "Site B", actor=admin)
    store.create_user("doc_a", PASSWORD, "clinician", "A", actor=admin)
    store.create_user("doc_b", PASSWORD, "clinician", "B", actor=admin)
    store.create_user("coord", PASSWORD, "coordinator", actor=admin)
    app = create_app(store, ServiceSettings(max_upload_bytes=300_000, max_files=5), analyser=fake_analyser)
    clients = []

    def client(username: str | None = None) -> TestClient:
        c = TestClient(app, follow_redirects=False)
        c.__enter__()
        clients.append(c)
        if username:
            r = c.post("/api/login", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    yield client, store
    for c in clients:
        c.__exit__(None, None, None)
    store.close()


def wait_jobs(client, visit_id: int, timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = client.get(f"/api/visits/{visit_id}/jobs").json()
        if jobs and all(j["status"] in ("done", "failed") for j in jobs):
            return jobs
        time.sleep(0.05)
    raise AssertionError(f"jobs did not finish: {jobs}")
