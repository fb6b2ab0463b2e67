"""Server-rendered pages (Jinja2); every POST carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from trichometry.clinic.analysis import encode_png
from trichometry.clinic.comparison import comparison_png, per_hair_csv, visit_comparison
from trichometry.clinic.course import METRICS, subject_course
from trichometry.clinic.review import check_totals_override
from trichometry.store import AccessDenied, Store, User
from trichometry.store.images import decode_rgb
from trichometry.web.auth import check_csrf, csrf_token, form_csrf, log_in, page_user
from trichometry.web.plots import figure_bytes, timeline_figure
from trichometry.web.report import subject_report_pdf
from trichometry.web.uploads import parse_um_per_px, read_upload_form, store_uploads
from trichometry.web.views import image_view, latest_jobs

PageUser = Annotated[User, Depends(page_user)]

router = APIRouter(include_in_schema=False)


def _store(request: Request) -> Store:
    return request.app.state.store


def _render(request: Request, name: str, user: User | None, status_code: int = 200, **ctx) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, name, {"user": user, **ctx}, status_code=status_code
    )


def _safe_next(url: str | None) -> str:
    """Only local paths (no open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or urlparse(url).netloc:
        return "/subjects"
    return url


@router.get("/", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/subjects", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/subjects") -> HTMLResponse:
    csrf_token(request)
    return _render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf_token_field: str = Form("", alias="csrf_token"),
    next: str = Form("/subjects"),
):
    check_csrf(request, csrf_token_field)
    try:
        user = _store(request).authenticate(username, password)
    except AccessDenied as exc:
        return _render(request, "login.html", None, status_code=401, next=_safe_next(next), error=str(exc))
    log_in(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(form_csrf)])
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/subjects", response_class=HTMLResponse)
def subjects_page(request: Request, user: PageUser) -> HTMLResponse:
    store = _store(request)
    return _render(
        request, "subjects.html", user, subjects=store.list_subjects(user), sites=store.list_sites()
    )


@router.post("/subjects", dependencies=[Depends(form_csrf)])
def subjects_create(
    request: Request, user: PageUser, code: str = Form(...), site: str = Form("")
) -> RedirectResponse:
    subject = _store(request).create_subject(user, code, site or None)
    return RedirectResponse(f"/subjects/{subject.id}", status_code=303)


@router.get("/subjects/{subject_id}", response_class=HTMLResponse)
def subject_page(subject_id: int, request: Request, user: PageUser) -> HTMLResponse:
    store = _store(request)
    course = subject_course(store, user, subject_id)
    return _render(
        request,
        "subject.html",
        user,
        subject=course.subject,
        course=course,
        rows=course.rows,
        metrics=METRICS,
        treatments=course.treatments,
    )


@router.post("/subjects/{subject_id}/visits", dependencies=[Depends(form_csrf)])
def visit_create(
    subject_id: int,
    request: Request,
    user: PageUser,
    date: str = Form(...),
    target_site: str = Form("frontal"),
    arm: str = Form(""),
) -> RedirectResponse:
    visit = _store(request).create_visit(user, subject_id, date, target_site, arm or None)
    return RedirectResponse(f"/visits/{visit.id}", status_code=303)


@router.post("/subjects/{subject_id}/treatments", dependencies=[Depends(form_csrf)])
def treatment_create(
    subject_id: int,
    request: Request,
    user: PageUser,
    date: str = Form(...),
    kind: str = Form(...),
    notes: str = Form(""),
) -> RedirectResponse:
    _store(request).add_treatment_session(user, subject_id, date, kind, notes)
    return RedirectResponse(f"/subjects/{subject_id}", status_code=303)


@router.get("/subjects/{subject_id}/timeline.{fmt}")
def subject_plot(subject_id: int, fmt: str, request: Request, user: PageUser) -> Response:
    if fmt not in ("png", "svg"):
        return Response("use .png or .svg", status_code=404)
    course = subject_course(_store(request), user, subject_id)
    media = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(figure_bytes(timeline_figure(course), fmt), media_type=media)


@router.get("/subjects/{subject_id}/report.pdf")
def subject_report(subject_id: int, request: Request, user: PageUser) -> Response:
    store = _store(request)
    course = subject_course(store, user, subject_id)
    subject = course.subject
    pdf = subject_report_pdf(course)
    store.record_event(user, "report.pdf", f"subject:{subject.id}")
    name = f"trichometry-report-{subject.code}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/visits/{visit_id}/comparison.png")
def visit_comparison_png(visit_id: int, request: Request, user: PageUser) -> Response:
    """The registered side-by-side picture of this follow-up against its baseline (404: why not)."""
    store = _store(request)
    compared = visit_comparison(store, user, visit_id)
    visit = store.get_visit(user, visit_id)
    title = f"{visit.subject.code}: baseline -> {visit.visit_date}"
    return Response(comparison_png(compared, title), media_type="image/png")


@router.get("/visits/{visit_id}/comparison.csv")
def visit_comparison_csv(visit_id: int, request: Request, user: PageUser) -> Response:
    """The per-hair table behind the picture: position, diameter and fate of every hair."""
    store = _store(request)
    data = per_hair_csv(visit_comparison(store, user, visit_id))
    name = f"trichometry-comparison-visit-{visit_id}.csv"
    return Response(
        data, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/visits/{visit_id}", response_class=HTMLResponse)
def visit_page(visit_id: int, request: Request, user: PageUser) -> HTMLResponse:
    store = _store(request)
    visit = store.get_visit(user, visit_id)
    jobs = latest_jobs(store, visit.id)
    images = [image_view(store, user, vi, jobs) for vi in store.list_visit_images(user, visit.id)]
    can_write = user.role != "coordinator"
    last_um = next((im["um_per_px"] for im in reversed(images) if im["um_per_px"]), None)
    return _render(
        request, "visit.html", user, visit=visit, images=images, can_write=can_write, last_um=last_um
    )


@router.post("/visits/{visit_id}/images")
async def visit_upload(visit_id: int, request: Request, user: PageUser) -> RedirectResponse:
    """Plain-form upload (the page's script uses the API instead)."""
    store = _store(request)
    store.get_visit(user, visit_id)
    settings = request.app.state.settings
    files, form = await read_upload_form(request, settings.max_files, settings.max_upload_bytes)
    check_csrf(request, form.get("csrf_token"), user)
    store_uploads(
        store, request.app.state.runner, user, visit_id, files, parse_um_per_px(form.get("um_per_px"))
    )
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.get("/images/{image_id}", response_class=HTMLResponse)
def image_page(image_id: int, request: Request, user: PageUser) -> HTMLResponse:
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    view = image_view(store, user, vi, latest_jobs(store, vi.visit_id))
    return _render(request, "image.html", user, vi=vi, image=view, can_write=user.role != "coordinator")


@router.get("/images/{image_id}/original")
def image_original(image_id: int, request: Request, user: PageUser) -> Response:
    """The stored bytes; coordinators get a copy rebuilt from the pixels (no EXIF/XMP/text)."""
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    data = store.image_bytes(vi.image.sha256)
    if user.role == "coordinator":
        return Response(encode_png(decode_rgb(data)), media_type="image/png")
    media = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff"}[vi.image.format]
    return Response(data, media_type=media)


@router.get("/images/{image_id}/overlay.png")
def image_overlay(image_id: int, request: Request, user: PageUser) -> Response:
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    latest = store.latest_analysis(vi.id)
    if latest is None or not latest.overlay_sha256:
        return Response("no overlay yet; the analysis has not finished", status_code=404)
    return Response(store.blobs.read(latest.overlay_sha256), media_type="image/png")


@router.post("/images/{image_id}/analyses", dependencies=[Depends(form_csrf)])
def reanalyse(image_id: int, request: Request, user: PageUser) -> RedirectResponse:
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    store.check_write(user, vi.visit.subject)
    request.app.state.runner.enqueue(vi.id, user)
    return RedirectResponse(f"/visits/{vi.visit_id}", status_code=303)


@router.post("/analyses/{analysis_id}/corrections", dependencies=[Depends(form_csrf)])
def correction_submit(
    analysis_id: int,
    request: Request,
    user: PageUser,
    field: str = Form(...),
    value: str = Form(...),
    reason: str = Form(...),
) -> RedirectResponse:
    store = _store(request)
    check_totals_override(store, user, analysis_id, {field: value})
    store.correct_analysis(user, analysis_id, {field: value}, reason)
    analysis = store.get_analysis(user, analysis_id)
    return RedirectResponse(f"/images/{analysis.visit_image_id}", status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, user: PageUser) -> HTMLResponse:
    store = _store(request)
    return _render(
        request, "admin.html", user, users=store.list_users(user), sites=store.list_sites(),
        events=store.audit_events(user, 50), chain_intact=store.verify_audit()[0],
    )  # fmt: skip


@router.post("/admin/sites", dependencies=[Depends(form_csrf)])
def admin_site(
    request: Request, user: PageUser, code: str = Form(...), name: str = Form("")
) -> RedirectResponse:
    _store(request).create_site(code, name, actor=user)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users", dependencies=[Depends(form_csrf)])
def admin_user(
    request: Request,
    user: PageUser,
    username: str = Form(...),
    password: str = Form(...),
    role: str = Form(...),
    site: str = Form(""),
) -> RedirectResponse:
    _store(request).create_user(username, password, role, site or None, actor=user)
    return RedirectResponse("/admin", status_code=303)


@router.post("/account/password", dependencies=[Depends(form_csrf)])
def own_password(request: Request, user: PageUser, password: str = Form(...)) -> RedirectResponse:
    _store(request).set_password(user, user.id, password)
    return RedirectResponse("/subjects", status_code=303)
