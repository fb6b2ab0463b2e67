"""The JSON API under ``/api`` (documented at ``/docs``).

Authentication: ``POST /api/login`` sets the session cookie and returns a CSRF token;
send it as ``X-CSRF-Token`` on every POST. Unauthenticated calls get 401.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from trichometry.clinic.course import METRICS, headline_dict, headline_row, subject_course
from trichometry.clinic.review import check_totals_override
from trichometry.store import Store, User
from trichometry.utils.spreadsheet import neutralise
from trichometry.web.auth import api_csrf, api_user, log_in
from trichometry.web.uploads import parse_um_per_px, read_upload_form, store_uploads
from trichometry.web.views import analysis_view, image_view, job_view, latest_jobs, subject_view, visit_view

ApiUser = Annotated[User, Depends(api_user)]

router = APIRouter(prefix="/api", tags=["api"])


def _store(request: Request) -> Store:
    return request.app.state.store


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class SubjectIn(BaseModel):
    code: str = Field(max_length=64, description="pseudonymous code, e.g. S-0042; never a name")
    site: str | None = Field(default=None, max_length=32, description="site code (admins)")


class VisitIn(BaseModel):
    date: str = Field(description="YYYY-MM-DD")
    target_site: str = Field(default="frontal", max_length=64)
    arm: str | None = Field(default=None, max_length=64)


class CorrectionIn(BaseModel):
    changes: dict[str, Any]
    reason: str = Field(max_length=2000)


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    role: str
    site: str | None = None


@router.post("/login")
def login(body: LoginIn, request: Request) -> dict[str, Any]:
    """Log in; returns the CSRF token to send as ``X-CSRF-Token``."""
    user = _store(request).authenticate(body.username, body.password)
    token = log_in(request, user)
    return {"user": {"id": user.id, "username": user.username, "role": user.role}, "csrf_token": token}


@router.post("/logout", dependencies=[Depends(api_csrf)])
def logout(request: Request) -> dict[str, str]:
    request.session.clear()
    return {"status": "logged out"}


@router.get("/me")
def me(user: ApiUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "site": user.site.code if user.site else None,
    }


@router.post("/users", dependencies=[Depends(api_csrf)], status_code=201)
def create_user(body: UserIn, request: Request, user: ApiUser) -> dict[str, Any]:
    """Add a user (admins only)."""
    new = _store(request).create_user(body.username, body.password, body.role, body.site, actor=user)
    return {"id": new.id, "username": new.username, "role": new.role}


class SiteIn(BaseModel):
    code: str = Field(max_length=32)
    name: str = Field(default="", max_length=200)


class PasswordIn(BaseModel):
    password: str = Field(max_length=256)


@router.get("/users")
def list_users(request: Request, user: ApiUser) -> list[dict[str, Any]]:
    """All accounts (admins only)."""
    return [
        {"id": u.id, "username": u.username, "role": u.role, "site": u.site.code if u.site else None,
         "active": u.active}
        for u in _store(request).list_users(user)
    ]  # fmt: skip


@router.post("/users/{user_id}/password", dependencies=[Depends(api_csrf)])
def set_password(user_id: int, body: PasswordIn, request: Request, user: ApiUser) -> dict[str, str]:
    """Change a password (one's own, or anyone's as admin)."""
    _store(request).set_password(user, user_id, body.password)
    return {"status": "password changed"}


@router.post("/users/{user_id}/active", dependencies=[Depends(api_csrf)])
def set_active(user_id: int, active: bool, request: Request, user: ApiUser) -> dict[str, Any]:
    """Disable (``active=false``) or re-enable an account (admins only)."""
    _store(request).set_active(user, user_id, active)
    return {"id": user_id, "active": active}


@router.get("/audit")
def audit_log(request: Request, user: ApiUser, limit: int = 200) -> dict[str, Any]:
    """The newest audit events and whether the hash chain is intact (admins only)."""
    store = _store(request)
    return {
        "chain_intact": store.verify_audit()[0],
        "events": store.audit_events(user, min(max(limit, 1), 5000)),
    }


@router.get("/sites")
def list_sites(request: Request, user: ApiUser) -> list[dict[str, Any]]:
    return [{"id": s.id, "code": s.code, "name": s.name} for s in _store(request).list_sites()]


@router.post("/sites", dependencies=[Depends(api_csrf)], status_code=201)
def create_site(body: SiteIn, request: Request, user: ApiUser) -> dict[str, Any]:
    """Add a site (admins only)."""
    site = _store(request).create_site(body.code, body.name, actor=user)
    return {"id": site.id, "code": site.code, "name": site.name}


@router.get("/subjects")
def list_subjects(request: Request, user: ApiUser) -> list[dict[str, Any]]:
    return [subject_view(s) for s in _store(request).list_subjects(user)]


@router.post("/subjects", dependencies=[Depends(api_csrf)], status_code=201)
def create_subject(body: SubjectIn, request: Request, user: ApiUser) -> dict[str, Any]:
    return subject_view(_store(request).create_subject(user, body.code, body.site))


@router.get("/subjects/{subject_id}")
def get_subject(subject_id: int, request: Request, user: ApiUser) -> dict[str, Any]:
    store = _store(request)
    subject = store.get_subject(user, subject_id)
    return {**subject_view(subject), "visits": [visit_view(v) for v in store.list_visits(user, subject.id)]}


@router.get("/subjects/{subject_id}/timeline")
def timeline(subject_id: int, request: Request, user: ApiUser):
    """Per-visit numbers with 95 % intervals, change since baseline, and the headline change
    per window (hair-to-hair where the photos register, else independent counts)."""
    course = subject_course(_store(request), user, subject_id)
    out: dict[str, Any] = {
        "metrics": {k: {"label": v[0], "unit": v[1], "paramcd": v[2]} for k, v in METRICS.items()},
        "visits": [r.to_dict() for r in course.rows],
        "headlines": [headline_dict(h) for h in course.headlines],
        "note": course.note or None,
    }
    return out


@router.post("/subjects/{subject_id}/visits", dependencies=[Depends(api_csrf)], status_code=201)
def create_visit(subject_id: int, body: VisitIn, request: Request, user: ApiUser):
    return visit_view(_store(request).create_visit(user, subject_id, body.date, body.target_site, body.arm))


class TreatmentIn(BaseModel):
    date: str = Field(description="YYYY-MM-DD")
    kind: str = Field(max_length=64, description="e.g. PRP, stem cells, minoxidil")
    notes: str = Field(default="", max_length=2000)


@router.get("/subjects/{subject_id}/treatments")
def list_treatments(subject_id: int, request: Request, user: ApiUser) -> list[dict[str, Any]]:
    return [
        {"id": t.id, "date": t.session_date.isoformat(), "kind": t.kind, "notes": t.notes}
        for t in _store(request).list_treatment_sessions(user, subject_id)
    ]


@router.post("/subjects/{subject_id}/treatments", dependencies=[Depends(api_csrf)], status_code=201)
def add_treatment(subject_id: int, body: TreatmentIn, request: Request, user: ApiUser) -> dict[str, Any]:
    """Record a treatment session given to the subject."""
    t = _store(request).add_treatment_session(user, subject_id, body.date, body.kind, body.notes)
    return {"id": t.id, "date": t.session_date.isoformat(), "kind": t.kind, "notes": t.notes}


@router.get("/visits/{visit_id}")
def get_visit(visit_id: int, request: Request, user: ApiUser) -> dict[str, Any]:
    store = _store(request)
    visit = store.get_visit(user, visit_id)
    jobs = latest_jobs(store, visit.id)
    images = [image_view(store, user, vi, jobs) for vi in store.list_visit_images(user, visit.id)]
    return {**visit_view(visit), "images": images}


@router.post("/visits/{visit_id}/images", dependencies=[Depends(api_csrf)], status_code=201)
async def upload_images(visit_id: int, request: Request, user: ApiUser) -> list[dict[str, Any]]:
    """Upload photos (multipart ``files``, optional ``um_per_px``); analysis runs in the background."""
    store = _store(request)
    store.get_visit(user, visit_id)  # 404/403 before reading the body
    settings = request.app.state.settings
    files, form = await read_upload_form(request, settings.max_files, settings.max_upload_bytes)
    um = parse_um_per_px(form.get("um_per_px"))
    return store_uploads(store, request.app.state.runner, user, visit_id, files, um)


@router.get("/visits/{visit_id}/jobs")
def visit_jobs(visit_id: int, request: Request, user: ApiUser) -> list[dict[str, Any]]:
    store = _store(request)
    store.get_visit(user, visit_id)
    return [job_view(j) for j in latest_jobs(store, visit_id).values()]


@router.get("/jobs/{job_id}")
def get_job(job_id: int, request: Request, user: ApiUser) -> dict[str, Any] | None:
    return job_view(_store(request).get_job(user, job_id))


@router.get("/images/{image_id}")
def get_image(image_id: int, request: Request, user: ApiUser) -> dict[str, Any]:
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    return image_view(store, user, vi, latest_jobs(store, vi.visit_id))


@router.post("/images/{image_id}/analyses", dependencies=[Depends(api_csrf)], status_code=202)
def reanalyse(image_id: int, request: Request, user: ApiUser) -> dict[str, Any]:
    """Analyse a stored photo again with the current settings (appends; earlier analyses stay)."""
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    store.check_write(user, vi.visit.subject)
    job_id = request.app.state.runner.enqueue(vi.id, user)
    return {"job_id": job_id}


@router.get("/images/{image_id}/result.json")
def image_result(image_id: int, request: Request, user: ApiUser) -> JSONResponse:
    """The newest analysis' full result with provenance (download)."""
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    latest = store.latest_analysis(vi.id)
    body = {"image": image_view(store, user, vi), "result": latest.result if latest else None}
    name = f"trichometry-image-{vi.id}.json"
    return JSONResponse(body, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/analyses/{analysis_id}")
def get_analysis(analysis_id: int, request: Request, user: ApiUser):
    store = _store(request)
    return analysis_view(store, store.get_analysis(user, analysis_id))


@router.post("/analyses/{analysis_id}/corrections", dependencies=[Depends(api_csrf)], status_code=201)
def correct(analysis_id: int, body: CorrectionIn, request: Request, user: ApiUser):
    """Correct an analysis' numbers; the original stays, the correction is a new row."""
    store = _store(request)
    check_totals_override(store, user, analysis_id, body.changes)
    store.correct_analysis(user, analysis_id, body.changes, body.reason)
    return analysis_view(store, store.get_analysis(user, analysis_id))


#: export column -> column of :func:`trichometry.reports.headline.headline_row` (same rounding)
HEADLINE_EXPORT: dict[str, str] = {
    "headline_measure": "MEASURE",
    "headline_density_change_per_cm2": "DENS CHG",
    "headline_ci95_low": "CI95 LOW",
    "headline_ci95_high": "CI95 HIGH",
    "headline_change_pct": "PCHG",
    "independent_density_change_per_cm2": "INDEP CHG",
    "independent_ci95_low": "INDEP LOW",
    "independent_ci95_high": "INDEP HIGH",
    "hair_to_hair_density_change_per_cm2": "H2H CHG",
    "hair_to_hair_ci95_low": "H2H LOW",
    "hair_to_hair_ci95_high": "H2H HIGH",
    "matched": "MATCHED",
    "lost": "LOST",
    "new": "NEW",
    "disagree": "DISAGREE",
}


@router.get("/export.csv")
def export_csv(request: Request, user: ApiUser) -> Response:
    """One row per visit of every subject the user may read (pseudonymised: codes only).

    Values, changes and the headline change per window are the trial report's (same rules,
    same rounding of the headline); ``analysed_for_window`` marks the visit the report
    analyses for its window.
    """
    store = _store(request)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keys = list(METRICS)
    writer.writerow(
        [
            "subject",
            "site",
            "visit_date",
            "target_site",
            "arm",
            "day",
            "window",
            "analysed_for_window",
            "photos",
            "analysed",
            *keys,
            *[f"change_{k}" for k in keys],
            *HEADLINE_EXPORT,
        ]
    )
    subjects = store.list_subjects(user)
    for subject in subjects:
        for r in subject_course(store, user, subject.id).rows:
            v = r.visit
            head = headline_row(r.headline) if r.headline is not None else {}
            writer.writerow(
                [
                    neutralise(x)
                    for x in [
                        subject.code,
                        subject.site.code,
                        v.visit_date.isoformat(),
                        v.target_site,
                        v.arm or "",
                        r.day,
                        r.window or "",
                        "Y" if r.analysed_for_window else "",
                        r.photos,
                        r.analysed,
                        *[r.values.get(k) for k in keys],
                        *[r.change.get(k) for k in keys],
                        *[head.get(c) for c in HEADLINE_EXPORT.values()],
                    ]
                ]
            )
    store.record_event(user, "export.csv", "subjects", f"{len(subjects)} subjects")
    return Response(
        buf.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="trichometry-export.csv"'},
    )
