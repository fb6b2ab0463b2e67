from __future__ import annotations

import io
import re

import pytest

from .conftest import PASSWORD, photo_png, wait_jobs


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _page_login(c, username: str, next_url: str = "/subjects"):
    token = _token(c.get(f"/login?next={next_url}").text)
    return c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                  "next": next_url})  # fmt: skip


def test_login_flow_and_open_redirect(service):
    client_for, _store = service
    c = client_for()
    r = c.get("/visits/1")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/visits/1"
    bad = c.post("/login", data={"username": "doc_a", "password": PASSWORD, "csrf_token": "forged"})
    assert bad.status_code == 403
    token = _token(c.get("/login").text)
    wrong = c.post("/login", data={"username": "doc_a", "password": "nope-nope-nope", "csrf_token": token})
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    r = _page_login(c, "doc_a", "//evil.example/x")
    assert r.status_code == 303 and r.headers["location"] == "/subjects"
    assert c.get("/subjects").status_code == 200


def test_forms_need_csrf(service):
    client_for, store = service
    c = client_for()
    _page_login(c, "doc_a")
    assert c.post("/subjects", data={"code": "S-5"}).status_code == 403
    token = _token(c.get("/subjects").text)
    r = c.post("/subjects", data={"code": "S-5", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/subjects/")
    assert [s.code for s in store.list_subjects(store.authenticate("doc_a", PASSWORD))] == ["S-5"]


def test_pages_of_a_subject_with_two_visits(service):
    pypdf = pytest.importorskip("pypdf")
    client_for, _store = service
    api = client_for("doc_a")
    subj = api.post("/api/subjects", json={"code": "S-P"}).json()
    for i, date in enumerate(["2026-01-01", "2026-02-01"]):
        visit = api.post(f"/api/subjects/{subj['id']}/visits", json={"date": date}).json()
        files = [("files", (f"p{i}.png", photo_png(10 + i), "image/png"))]
        assert (
            api.post(f"/api/visits/{visit['id']}/images", files=files, data={"um_per_px": "4"}).status_code
            == 201
        )
        wait_jobs(api, visit["id"])
    c = client_for()
    _page_login(c, "doc_a")
    page = c.get(f"/subjects/{subj['id']}")
    assert page.status_code == 200
    assert "baseline" in page.text and "1m" in page.text and "timeline-plot" in page.text
    # the fake analyser has no hairs: independent counts lead, and the page says why
    assert 'data-measure="independent counts"' in page.text
    assert "the hair-to-hair comparison is not available" in page.text
    assert c.get(f"/visits/{visit['id']}/comparison.png").status_code == 404  # and no picture
    png = c.get(f"/subjects/{subj['id']}/timeline.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = c.get(f"/subjects/{subj['id']}/timeline.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    pdf = c.get(f"/subjects/{subj['id']}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 2 and "S-P" in reader.pages[0].extract_text()
    visit_page = c.get(f"/visits/{visit['id']}")
    assert visit_page.status_code == 200 and "done" in visit_page.text and 'id="dropzone"' in visit_page.text
    image_id = api.get(f"/api/visits/{visit['id']}").json()["images"][0]["id"]
    image_page = c.get(f"/images/{image_id}")
    assert image_page.status_code == 200 and "Quality: ok" in image_page.text
    assert c.get(f"/images/{image_id}/overlay.png").content[:4] == b"\x89PNG"
    assert c.get(f"/images/{image_id}/original").content == photo_png(11)


def test_error_pages(service):
    client_for, _store = service
    a = client_for("doc_a")
    subj = a.post("/api/subjects", json={"code": "S-X"}).json()
    b = client_for()
    _page_login(b, "doc_b")
    r = b.get(f"/subjects/{subj['id']}")
    assert r.status_code == 403 and "another site" in r.text
    r = b.get("/visits/424242")
    assert r.status_code == 404 and "no visit with id 424242" in r.text


def test_plain_form_upload_without_javascript(service):
    client_for, store = service
    api = client_for("doc_a")
    subj = api.post("/api/subjects", json={"code": "S-F"}).json()
    visit = api.post(f"/api/subjects/{subj['id']}/visits", json={"date": "2026-01-01"}).json()
    c = client_for()
    _page_login(c, "doc_a")
    token = _token(c.get(f"/visits/{visit['id']}").text)
    files = [("files", ("x.png", photo_png(3), "image/png"))]
    assert c.post(f"/visits/{visit['id']}/images", files=files).status_code == 403  # no CSRF token
    assert store.blobs.all_hashes() == set()
    r = c.post(f"/visits/{visit['id']}/images", files=files, data={"csrf_token": token, "um_per_px": "3.5"})
    assert r.status_code == 303
    wait_jobs(api, visit["id"])
    assert len(store.blobs.all_hashes()) == 2  # the photo and its overlay


def test_quality_reasons_and_what_to_do_show_where_the_clinician_looks(service):
    from trichometry.store import AnalysisRecord

    client_for, store = service
    admin = next(u for u in store.list_users(store.authenticate("admin", PASSWORD)) if u.role == "admin")
    subject = store.create_subject(admin, "S-Q", "A")
    visit = store.create_visit(admin, subject.id, "2026-01-01", "frontal")
    reasons = {
        "reject": ["reject: glare covers 40% of the image; use immersion fluid or polarised light."],
        "warn": ["warn: slightly out of focus (edge blur 14 um); thin hairs may be missed or widened."],
    }
    ids = {}
    for verdict, why in reasons.items():
        vi, _ = store.add_image(admin, visit.id, photo_png(50 + len(ids)), f"{verdict}.png", um_per_px=4.0)
        store.add_analysis(vi.id, AnalysisRecord(
            method="classical", model_name="t", model_version="1", weights_sha256="-", code_version="t",
            config_hash="-", quality=verdict, summary={"count": None},
            result={"status": "rejected" if verdict == "reject" else "ok", "hairs": [],
                    "quality": {"verdict": verdict, "reasons": why}}))  # fmt: skip
        ids[verdict] = vi.id
    c = client_for()
    _page_login(c, "doc_a")
    page = c.get(f"/visits/{visit.id}").text
    assert "glare covers 40%" in page and "slightly out of focus" in page
    assert "What to do:</strong> Remove glare (immersion fluid or polarised light), re-take the photo" in page
    reject = c.get(f"/images/{ids['reject']}").text
    assert 'id="quality-reasons"' in reject and 'id="quality-advice"' in reject
    warn = c.get(f"/images/{ids['warn']}").text
    assert "slightly out of focus" in warn and 'id="quality-advice"' not in warn  # a warning needs no re-take
