from __future__ import annotations

import pytest
from sqlalchemy import func, select

from trichometry.store.models import Image

from .conftest import photo_png, wait_jobs


def _subject_visit(client, code="S-1"):
    subj = client.post("/api/subjects", json={"code": code}).json()
    visit = client.post(
        f"/api/subjects/{subj['id']}/visits", json={"date": "2026-01-05", "target_site": "vertex"}
    )
    assert visit.status_code == 201, visit.text
    return subj, visit.json()


def _n_images(store) -> int:
    with store.session() as s:
        return s.execute(select(func.count()).select_from(Image)).scalar()


def test_upload_analyse_and_read_back(service):
    client_for, _store = service
    c = client_for("doc_a")
    subj, visit = _subject_visit(c)
    files = [("files", ("a.png", photo_png(1), "image/png")), ("files", ("b.png", photo_png(2), "image/png"))]
    r = c.post(f"/api/visits/{visit['id']}/images", files=files, data={"um_per_px": "4.0"})
    assert r.status_code == 201, r.text
    assert [x["created"] for x in r.json()] == [True, True]
    jobs = wait_jobs(c, visit["id"])
    assert {j["status"] for j in jobs} == {"done"}
    image = c.get(f"/api/images/{r.json()[0]['visit_image_id']}").json()
    assert image["analysis"]["model"]["name"] == "fake-test-analyser"
    assert image["analysis"]["image_sha256"] == image["sha256"]
    assert image["um_per_px"] == 4.0
    dl = c.get(f"/api/images/{image['id']}/result.json")
    assert dl.status_code == 200 and "attachment" in dl.headers["content-disposition"]
    tl = c.get(f"/api/subjects/{subj['id']}/timeline").json()
    assert tl["visits"][0]["window"] == "baseline" and tl["visits"][0]["analysed"] == 2


def test_same_bytes_twice_one_image(service):
    client_for, store = service
    c = client_for("doc_a")
    _subj, visit = _subject_visit(c)
    data = photo_png(5)
    r1 = c.post(f"/api/visits/{visit['id']}/images", files=[("files", ("x.png", data, "image/png"))])
    r2 = c.post(f"/api/visits/{visit['id']}/images", files=[("files", ("y.png", data, "image/png"))])
    assert r1.json()[0]["created"] and not r2.json()[0]["created"]
    assert r2.json()[0]["job_id"] is None
    assert _n_images(store) == 1


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"this is not an image", 415),
        (photo_png(3)[:300], 415),  # truncated
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, 415),  # corrupt
        (photo_png(4, size=400), 413),  # above the 300 kB test limit
    ],
    ids=["not-image", "truncated", "corrupt", "too-large"],
)
def test_bad_uploads_store_nothing(service, payload, status):
    client_for, store = service
    c = client_for("doc_a")
    _subj, visit = _subject_visit(c)
    good = ("files", ("good.png", photo_png(9), "image/png"))
    r = c.post(
        f"/api/visits/{visit['id']}/images", files=[good, ("files", ("bad.jpg", payload, "image/jpeg"))]
    )
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    assert _n_images(store) == 0 and store.blobs.all_hashes() == set()


def test_request_body_limit_413(service):
    client_for, store = service
    c = client_for("doc_a")
    _subj, visit = _subject_visit(c)
    big = b"\xff\xd8\xff" + b"0" * (300_000 * 5 + 1_000_001)
    r = c.post(f"/api/visits/{visit['id']}/images", files=[("files", ("big.jpg", big, "image/jpeg"))])
    assert r.status_code == 413
    assert _n_images(store) == 0


def test_wrong_visit_404_and_other_site_403(service):
    client_for, store = service
    a, b = client_for("doc_a"), client_for("doc_b")
    subj, visit = _subject_visit(a)
    files = [("files", ("a.png", photo_png(1), "image/png"))]
    assert a.post("/api/visits/99999/images", files=files).status_code == 404
    assert b.post(f"/api/visits/{visit['id']}/images", files=files).status_code == 403
    assert b.get(f"/api/subjects/{subj['id']}").status_code == 403
    assert b.get(f"/api/visits/{visit['id']}").status_code == 403
    assert [s["code"] for s in b.get("/api/subjects").json()] == []
    assert _n_images(store) == 0


def test_unauthenticated_and_csrf(service):
    client_for, _store = service
    anon = client_for()
    assert anon.get("/api/subjects").status_code == 401
    assert anon.post("/api/subjects", json={"code": "S-9"}).status_code == 401
    page = anon.get("/subjects")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    c = client_for("doc_a")
    token = c.headers.pop("X-CSRF-Token")
    assert c.post("/api/subjects", json={"code": "S-9"}).status_code == 403
    c.headers["X-CSRF-Token"] = token
    assert c.post("/api/subjects", json={"code": "S-9"}).status_code == 201
    bad = client_for()
    r = bad.post("/api/login", json={"username": "doc_a", "password": "wrong-password"})
    assert r.status_code == 403


def test_coordinator_reads_all_pseudonymised_and_writes_nothing(service):
    client_for, _store = service
    a, coord = client_for("doc_a"), client_for("coord")
    _subj, visit = _subject_visit(a)
    a.post(
        f"/api/visits/{visit['id']}/images", files=[("files", ("jane-doe.png", photo_png(1), "image/png"))]
    )
    wait_jobs(a, visit["id"])
    view = coord.get(f"/api/visits/{visit['id']}").json()
    assert view["images"][0]["filename"] is None
    assert coord.post("/api/subjects", json={"code": "S-7"}).status_code == 403
    export = coord.get("/api/export.csv")
    assert export.status_code == 200 and "S-1" in export.text and "jane-doe" not in export.text


def test_corrections_through_the_api(service):
    client_for, _store = service
    c = client_for("doc_a")
    _subj, visit = _subject_visit(c)
    r = c.post(f"/api/visits/{visit['id']}/images", files=[("files", ("a.png", photo_png(1), "image/png"))])
    wait_jobs(c, visit["id"])
    analysis = c.get(f"/api/images/{r.json()[0]['visit_image_id']}").json()["analysis"]
    r = c.post(
        f"/api/analyses/{analysis['id']}/corrections", json={"changes": {"count": 7}, "reason": "recount"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["summary"]["count"] == analysis["summary"]["count"]
    assert body["effective_summary"]["count"] == 7 and body["corrections"][0]["reason"] == "recount"
    bad = c.post(f"/api/analyses/{analysis['id']}/corrections", json={"changes": {"count": 7}, "reason": ""})
    assert bad.status_code == 422


def test_openapi_documents_the_api(service):
    client_for, _store = service
    spec = client_for().get("/openapi.json").json()
    assert "/api/visits/{visit_id}/images" in spec["paths"] and "/api/login" in spec["paths"]


def test_admin_manages_sites_and_users(service):
    client_for, _store = service
    admin, doc = client_for("admin"), client_for("doc_a")
    assert admin.post("/api/sites", json={"code": "C", "name": "Site C"}).status_code == 201
    assert doc.post("/api/sites", json={"code": "D"}).status_code == 403
    r = admin.post("/api/users", json={"username": "doc_c", "password": "doc-c-password", "role": "clinician",
                                       "site": "C"})  # fmt: skip
    assert r.status_code == 201
    new_id = r.json()["id"]
    assert (
        doc.post(
            "/api/users", json={"username": "x", "password": "long-password", "role": "admin"}
        ).status_code
        == 403
    )
    assert {u["username"] for u in admin.get("/api/users").json()} >= {"doc_c", "admin"}
    assert doc.get("/api/users").status_code == 403
    c = client_for()
    assert c.post("/api/login", json={"username": "doc_c", "password": "doc-c-password"}).status_code == 200
    assert admin.post(f"/api/users/{new_id}/active?active=false").status_code == 200
    assert (
        client_for().post("/api/login", json={"username": "doc_c", "password": "doc-c-password"}).status_code
        == 403
    )
    assert c.get("/api/me").status_code == 401  # the disabled user's session ends too


def test_change_own_password(service):
    client_for, _store = service
    doc = client_for("doc_a")
    me = doc.get("/api/me").json()
    assert doc.post(f"/api/users/{me['id']}/password", json={"password": "short"}).status_code == 422
    assert (
        doc.post(f"/api/users/{me['id']}/password", json={"password": "a-new-long-password"}).status_code
        == 200
    )
    other = client_for("doc_b").get("/api/me").json()
    assert (
        doc.post(f"/api/users/{other['id']}/password", json={"password": "hijacked-password"}).status_code
        == 403
    )
    ok = client_for().post("/api/login", json={"username": "doc_a", "password": "a-new-long-password"})
    assert ok.status_code == 200


def _png_with_canary(canary: str) -> bytes:
    import io

    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", canary)
    buf = io.BytesIO()
    Image.open(io.BytesIO(photo_png(21))).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def test_identifiers_in_metadata_never_reach_coordinators(service):
    client_for, _store = service
    canary = "PATIENT-JANE-CANARY-1970"
    doc, coord = client_for("doc_a"), client_for("coord")
    _subj, visit = _subject_visit(doc)
    data = _png_with_canary(canary)
    r = doc.post(f"/api/visits/{visit['id']}/images", files=[("files", ("jane.png", data, "image/png"))])
    image_id = r.json()[0]["visit_image_id"]
    wait_jobs(doc, visit["id"])
    # clinicians get the original bytes, unchanged (kept immutable)
    assert doc.get(f"/images/{image_id}/original").content == data
    seen = [
        coord.get(f"/images/{image_id}/original").content,
        coord.get(f"/images/{image_id}/overlay.png").content,
        coord.get(f"/api/images/{image_id}/result.json").content,
        coord.get(f"/api/visits/{visit['id']}").content,
        coord.get("/api/export.csv").content,
    ]
    assert all(canary.encode() not in body and b"jane" not in body for body in seen)


def test_too_many_parts_refused(service):
    client_for, store = service
    c = client_for("doc_a")
    _subj, visit = _subject_visit(c)
    files = [("files", (f"{i}.png", photo_png(30 + i), "image/png")) for i in range(6)]  # limit is 5
    r = c.post(f"/api/visits/{visit['id']}/images", files=files)
    assert r.status_code == 422 and "at most 5 photos" in r.json()["detail"]
    assert _n_images(store) == 0


def test_security_headers_and_treatments(service):
    client_for, _store = service
    c = client_for("doc_a")
    subj, _visit = _subject_visit(c)
    r = c.get("/api/me")
    assert (
        r.headers["x-content-type-options"] == "nosniff"
        and "default-src 'self'" in r.headers["content-security-policy"]
    )
    t = c.post(f"/api/subjects/{subj['id']}/treatments", json={"date": "2026-01-10", "kind": "PRP"})
    assert t.status_code == 201
    assert [x["kind"] for x in c.get(f"/api/subjects/{subj['id']}/treatments").json()] == ["PRP"]
    coord = client_for("coord")
    r = coord.post(f"/api/subjects/{subj['id']}/treatments", json={"date": "2026-01-10", "kind": "PRP"})
    assert r.status_code == 403


def test_audit_log_for_admins(service):
    client_for, _store = service
    admin, doc = client_for("admin"), client_for("doc_a")
    _subject_visit(doc)
    body = admin.get("/api/audit").json()
    assert body["chain_intact"] is True
    actions = [e["action"] for e in body["events"]]
    assert "subject.create" in actions and "visit.create" in actions and "login" in actions
    assert doc.get("/api/audit").status_code == 403
    page = admin.get("/admin")
    assert page.status_code == 200 and "hash chain intact" in page.text


def test_reanalysis_appends(service):
    client_for, store = service
    c = client_for("doc_a")
    _subj, visit = _subject_visit(c)
    r = c.post(f"/api/visits/{visit['id']}/images", files=[("files", ("a.png", photo_png(1), "image/png"))])
    image_id = r.json()[0]["visit_image_id"]
    wait_jobs(c, visit["id"])
    first = c.get(f"/api/images/{image_id}").json()["analysis"]
    assert c.post(f"/api/images/{image_id}/analyses").status_code == 202
    wait_jobs(c, visit["id"])
    second = c.get(f"/api/images/{image_id}").json()["analysis"]
    assert second["id"] != first["id"] and second["summary"] == first["summary"]  # same image + settings
    assert [a.id for a in store.analyses_of(image_id)] == [first["id"], second["id"]]
    assert client_for("coord").post(f"/api/images/{image_id}/analyses").status_code == 403
