"""Log-in comes before CSRF: anonymous API calls get 401, CSRF refusals are audited denials."""

from __future__ import annotations

from sqlalchemy import select

from trichometry.store.models import AuditEvent


def _denials(store) -> list[AuditEvent]:
    with store.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == "denied")).scalars())


def test_anonymous_api_posts_get_401_with_a_clear_message(service):
    client_for, store = service
    anon = client_for()
    for url, body in (
        ("/api/subjects", {"code": "S-9"}),
        ("/api/sites", {"code": "X"}),
        ("/api/logout", None),
    ):
        r = anon.post(url, json=body)
        assert r.status_code == 401, (url, r.status_code, r.text)
        assert "not logged in" in r.json()["detail"] and "/api/login" in r.json()["detail"]
    # also with a forged token: still 401, since nobody is logged in
    assert anon.post("/api/subjects", json={"code": "S-9"}, headers={"X-CSRF-Token": "x"}).status_code == 401
    assert _denials(store) == []


def test_csrf_failure_of_a_logged_in_user_is_403_and_one_audited_denial(service):
    client_for, store = service
    doc = client_for("doc_a")
    token = doc.headers.pop("X-CSRF-Token")
    r = doc.post("/api/subjects", json={"code": "S-9"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = doc.post("/api/subjects", json={"code": "S-9"}, headers={"X-CSRF-Token": token[:-2] + "xx"})
    assert r.status_code == 403
    denials = _denials(store)
    assert [(d.username, d.target) for d in denials] == [("doc_a", "csrf"), ("doc_a", "csrf")]
    assert "POST /api/subjects" in denials[0].detail
    assert store.verify_audit()[0]
    assert doc.post("/api/subjects", json={"code": "S-9"}, headers={"X-CSRF-Token": token}).status_code == 201


def test_pages_redirect_anonymous_posts_to_login_and_audit_form_csrf_failures(service):
    client_for, store = service
    anon = client_for()
    r = anon.post("/subjects", data={"code": "S-5"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    doc = client_for("doc_a")
    r = doc.post("/subjects", data={"code": "S-5", "csrf_token": "forged"})
    assert r.status_code == 403
    assert [(d.username, d.target) for d in _denials(store)] == [("doc_a", "csrf")]
