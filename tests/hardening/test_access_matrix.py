"""Access control (RELIABILITY.md test 13): every API route x every role, and the pages.

Roles: anonymous, admin, coordinator (reads every site, writes nothing), a clinician of
site A (the data's site) and a clinician of site B. The test enumerates the app's routes,
so a new API endpoint fails here until its row is added. Every 403 must leave exactly one
``denied`` audit event and no subject data in its body.
"""

from __future__ import annotations

import io
import itertools
import time

import pytest
from fastapi.routing import APIRoute
from hardening_samples import png_bytes
from PIL import Image
from sqlalchemy import func, select

from trichometry.store import AnalysisRecord, Store
from trichometry.store.models import AuditEvent

PW = "matrix-password-123"
ROLES = ("anon", "admin", "coord", "doc_a", "doc_b")
SECRET_CODE = "S-A-0001"

# who may: a set of roles, or a rule name
ANY = {"admin", "coord", "doc_a", "doc_b"}
ADMIN = {"admin"}
READ_A = {"admin", "coord", "doc_a"}  # read subject data of site A
WRITE_A = {"admin", "doc_a"}  # change subject data of site A
CREATE = {"admin", "doc_a", "doc_b"}  # create own records (coordinators write nothing)


def fake_analyser(data, um_per_px, settings, progress):
    """TEST ONLY: a constant analysis, so the matrix runs in milliseconds."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buf, "PNG")
    return AnalysisRecord(
        method=settings.method,
        model_name="fake",
        model_version="0",
        weights_sha256="-",
        code_version="test",
        config_hash=settings.config_hash(um_per_px),
        quality="ok",
        summary={
            "count": 3,
            "density_per_cm2": 100.0,
            "nonvellus_density_per_cm2": 80.0,
            "mean_thickness_um": 60.0,
            "vellus_share": 0.2,
        },
        result={"hairs": []},
        overlay_png=buf.getvalue(),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One service for the module (the matrix only adds records, so the tests can share it)."""
    from argon2 import PasswordHasher

    import trichometry.store.passwords as passwords

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield from _world(tmp_path_factory)


def _world(tmp_path_factory):
    from fastapi.testclient import TestClient

    from trichometry.web.app import ServiceSettings, create_app

    store = Store.open(tmp_path_factory.mktemp("matrix") / "data")
    admin = store.create_user("admin", PW, "admin")
    store.create_site("A", "Site A", actor=admin)
    store.create_site("B", "Site B", actor=admin)
    store.create_user("doc_a", PW, "clinician", "A", actor=admin)
    store.create_user("doc_b", PW, "clinician", "B", actor=admin)
    store.create_user("coord", PW, "coordinator", actor=admin)
    victim = store.create_user("victim", PW, "clinician", "B", actor=admin)
    app = create_app(store, ServiceSettings(max_upload_bytes=300_000, max_files=5), analyser=fake_analyser)
    clients = {}
    for role in ROLES:
        c = TestClient(app, follow_redirects=False)
        c.__enter__()
        if role != "anon":
            r = c.post("/api/login", json={"username": role, "password": PW})
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        clients[role] = c
    doc = clients["doc_a"]
    subj = doc.post("/api/subjects", json={"code": SECRET_CODE}).json()
    visit = doc.post(f"/api/subjects/{subj['id']}/visits", json={"date": "2026-02-01"}).json()
    up = doc.post(
        f"/api/visits/{visit['id']}/images", files=[("files", ("a.png", png_bytes(3), "image/png"))]
    )
    image_id, job_id = up.json()[0]["visit_image_id"], up.json()[0]["job_id"]
    deadline = time.monotonic() + 20
    while doc.get(f"/api/jobs/{job_id}").json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    analysis_id = doc.get(f"/api/images/{image_id}").json()["analysis"]["id"]
    ids = {"subject": subj["id"], "visit": visit["id"], "image": image_id, "job": job_id,
           "analysis": analysis_id, "victim": victim.id}  # fmt: skip
    yield app, store, clients, ids
    for c in clients.values():
        c.__exit__(None, None, None)
    store.close()


_n = itertools.count()


def _api_rows(ids):
    """(method, route, url, json body or files, allowed roles)."""
    s, v, i, j, a, u = (ids[k] for k in ("subject", "visit", "image", "job", "analysis", "victim"))
    return [
        ("GET", "/api/me", "/api/me", None, ANY),
        ("POST", "/api/logout", None, None, None),  # covered in tests/web (ends the session)
        ("POST", "/api/login", None, None, None),  # public by design
        ("POST", "/api/users", "/api/users",
         lambda: {"username": f"u{next(_n)}", "password": PW, "role": "coordinator"}, ADMIN),
        ("GET", "/api/users", "/api/users", None, ADMIN),
        ("POST", "/api/users/{user_id}/password", f"/api/users/{u}/password",
         lambda: {"password": PW}, ADMIN),
        ("POST", "/api/users/{user_id}/active", f"/api/users/{u}/active?active=true", None, ADMIN),
        ("GET", "/api/audit", "/api/audit", None, ADMIN),
        ("GET", "/api/sites", "/api/sites", None, ANY),
        ("POST", "/api/sites", "/api/sites", lambda: {"code": f"X{next(_n)}", "name": "x"}, ADMIN),
        ("GET", "/api/subjects", "/api/subjects", None, ANY),
        ("POST", "/api/subjects", "/api/subjects",
         lambda role: {"code": f"S-N-{next(_n)}", "site": "B" if role == "admin" else None}, CREATE),
        ("GET", "/api/subjects/{subject_id}", f"/api/subjects/{s}", None, READ_A),
        ("GET", "/api/subjects/{subject_id}/timeline", f"/api/subjects/{s}/timeline", None, READ_A),
        ("POST", "/api/subjects/{subject_id}/visits", f"/api/subjects/{s}/visits",
         lambda: {"date": f"2026-03-{1 + next(_n) % 28:02d}"}, WRITE_A),
        ("GET", "/api/subjects/{subject_id}/treatments", f"/api/subjects/{s}/treatments", None, READ_A),
        ("POST", "/api/subjects/{subject_id}/treatments", f"/api/subjects/{s}/treatments",
         lambda: {"date": "2026-02-02", "kind": "PRP"}, WRITE_A),
        ("GET", "/api/visits/{visit_id}", f"/api/visits/{v}", None, READ_A),
        ("POST", "/api/visits/{visit_id}/images", f"/api/visits/{v}/images", "files", WRITE_A),
        ("GET", "/api/visits/{visit_id}/jobs", f"/api/visits/{v}/jobs", None, READ_A),
        ("GET", "/api/jobs/{job_id}", f"/api/jobs/{j}", None, READ_A),
        ("GET", "/api/images/{image_id}", f"/api/images/{i}", None, READ_A),
        ("POST", "/api/images/{image_id}/analyses", f"/api/images/{i}/analyses", None, WRITE_A),
        ("GET", "/api/images/{image_id}/result.json", f"/api/images/{i}/result.json", None, READ_A),
        ("GET", "/api/analyses/{analysis_id}", f"/api/analyses/{a}", None, READ_A),
        ("POST", "/api/analyses/{analysis_id}/corrections", f"/api/analyses/{a}/corrections",
         lambda: {"changes": {"count": 4}, "reason": "recount"}, WRITE_A),
        ("GET", "/api/images/{image_id}/hairs", f"/api/images/{i}/hairs", None, READ_A),
        ("GET", "/api/images/{image_id}/hairs/detector", f"/api/images/{i}/hairs/detector", None, READ_A),
        # admin saves version 1 first (roles run in ROLES order), then doc_a saves on top of it
        ("POST", "/api/images/{image_id}/hairs", f"/api/images/{i}/hairs",
         lambda role: {"base_version": {"doc_a": 1}.get(role, 0), "hairs": [], "reason": "matrix"}, WRITE_A),
        # needs a registered comparison: tests/clinic/test_review.py and tests/web/test_e2e_review.py
        ("POST", "/api/visits/{visit_id}/joins", None, None, None),
        ("GET", "/api/export.csv", "/api/export.csv", None, ANY),
        ("GET", "/api/reports/trial.{fmt}", "/api/reports/trial.csv", None, READ_A),
    ]  # fmt: skip


def _denials(store) -> int:
    with store.session() as s:
        return s.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "denied")).scalar()


def _call(client, method, url, body, role):
    if body == "files":
        return client.post(
            url, files=[("files", (f"m{next(_n)}.png", png_bytes(100 + next(_n)), "image/png"))]
        )
    if method == "GET":
        return client.get(url)
    if callable(body):
        return client.post(url, json=body(role) if body.__code__.co_argcount else body())
    return client.post(url)


def test_every_api_route_is_in_the_matrix(world):
    app, _store, _clients, ids = world
    routes: set[tuple[str, str]] = set()

    def walk(items) -> None:
        for r in items:
            if isinstance(r, APIRoute) and r.path.startswith("/api"):
                routes.update((m, r.path) for m in r.methods)
            inner = getattr(r, "routes", None) or getattr(getattr(r, "original_router", None), "routes", None)
            if inner:
                walk(inner)

    walk(app.routes)
    assert len(routes) >= 25
    assert routes == {(m, p) for m, p, *_ in _api_rows(ids)}


def test_role_by_endpoint_matrix_and_denials_are_audited(world):
    _app, store, clients, ids = world
    wrong = []
    for method, _route, url, body, allowed in _api_rows(ids):
        if url is None:
            continue
        for role in ROLES:
            before = _denials(store)
            r = _call(clients[role], method, url, body, role)
            if role == "anon":
                expected = "401"
            elif role in allowed:
                expected = "2xx"
            elif url.startswith("/api/reports/"):
                expected = "409"  # clinicians may export their site; site B has no data to report
            else:
                expected = "403"
            got = "2xx" if 200 <= r.status_code < 300 else str(r.status_code)
            if got != expected:
                wrong.append(
                    f"{role:6} {method:4} {url}: {r.status_code} (expected {expected}) {r.text[:80]}"
                )
            if r.status_code == 403:
                if _denials(store) != before + 1:
                    wrong.append(f"{role} {method} {url}: 403 without exactly one 'denied' audit event")
                if SECRET_CODE in r.text:
                    wrong.append(f"{role} {method} {url}: the denial leaks the subject code")
    assert wrong == [], "\n".join(wrong)


def test_pages_by_role(world):
    _app, _store, clients, ids = world
    s, v, i = ids["subject"], ids["visit"], ids["image"]
    pages = [
        ("/subjects", ANY), (f"/subjects/{s}", READ_A), (f"/subjects/{s}/timeline.png", READ_A),
        (f"/subjects/{s}/report.pdf", READ_A), (f"/visits/{v}", READ_A), (f"/images/{i}", READ_A),
        (f"/images/{i}/original", READ_A), (f"/images/{i}/overlay.png", READ_A),
        (f"/images/{i}/photo.png", READ_A), ("/admin", ADMIN),
    ]  # fmt: skip
    wrong = []
    for url, allowed in pages:
        for role in ROLES:
            r = clients[role].get(url)
            expected = "303" if role == "anon" else "2xx" if role in allowed else "403"
            got = "2xx" if 200 <= r.status_code < 300 else str(r.status_code)
            if got == "303" and not r.headers["location"].startswith("/login"):
                got = "303-elsewhere"
            if got != expected:
                wrong.append(f"{role:6} GET {url}: {r.status_code} (expected {expected})")
            if r.status_code == 403 and SECRET_CODE in r.text:
                wrong.append(f"{role} GET {url}: the denial page leaks the subject code")
    assert wrong == [], "\n".join(wrong)
