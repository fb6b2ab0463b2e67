"""Build the FastAPI application: middleware, error handling, routers, background jobs.

Example::

    from trichometry.store import Store
    from trichometry.web.app import ServiceSettings, create_app
    app = create_app(Store.open("./trichometry-data"), ServiceSettings())
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from trichometry import __version__
from trichometry.clinic.analysis import Analyser, AnalysisSettings
from trichometry.clinic.worker import JobRunner
from trichometry.errors import (
    CalibrationError,
    ConfigError,
    DataFormatError,
    ImageRejected,
    TrichometryError,
)
from trichometry.store import (
    AccessDenied,
    AppendOnlyViolation,
    Conflict,
    ImageTooLarge,
    InvalidInput,
    NotFound,
    StorageFull,
    Store,
    StoreCorrupt,
)
from trichometry.utils.atomic import atomic_write_text
from trichometry.web.auth import LoginRequired, csrf_token
from trichometry.web.limits import BodyLimit

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SECRET_ENV = "TRICHOMETRY_SECRET_KEY"

# error class -> HTTP status (first match wins; order subclasses first)
STATUS: list[tuple[type[Exception], int]] = [
    (ImageTooLarge, 413),
    (ImageRejected, 415),
    (NotFound, 404),
    (AccessDenied, 403),
    (Conflict, 409),
    (AppendOnlyViolation, 409),
    (StoreCorrupt, 500),
    (StorageFull, 507),
    (InvalidInput, 422),
    (ConfigError, 422),
    (CalibrationError, 422),
    (DataFormatError, 422),
    (TrichometryError, 400),
]


@dataclass
class ServiceSettings:
    """Settings of one running service.

    Attributes:
        analysis: method/checkpoint used for new analyses.
        max_upload_bytes: largest single photo accepted (HTTP 413 above).
        max_files: photos per upload request.
        max_request_bytes: largest request body (all photos of one upload together; 413 above).
        workers: analyses running at once.
        secret_key: signs session cookies; default ``$TRICHOMETRY_SECRET_KEY`` or a key kept
            in ``<data>/secret_key`` (so sessions survive restarts).
        https_only: mark the session cookie Secure (set when behind HTTPS).
        session_hours: log-in lifetime.
    """

    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    max_upload_bytes: int = 50 * 1024 * 1024
    max_files: int = 50
    max_request_bytes: int = 256 * 1024 * 1024
    workers: int = 1
    secret_key: str | None = None
    https_only: bool = False
    session_hours: float = 12.0


def _secret_key(store: Store, settings: ServiceSettings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = store.data_dir / "secret_key"
    if not path.is_file():
        atomic_write_text(path, secrets.token_urlsafe(48))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def status_for(exc: Exception) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 500


def create_app(
    store: Store, settings: ServiceSettings | None = None, analyser: Analyser | None = None
) -> FastAPI:
    """The web application over ``store``.

    Args:
        store: an opened (migrated) store.
        settings: service settings (defaults: :class:`ServiceSettings`).
        analyser: replaces the library analyser (tests inject a fast fake here).
    """
    settings = settings or ServiceSettings()
    store.max_upload_bytes = settings.max_upload_bytes
    runner = JobRunner(store, settings.analysis, analyser, workers=settings.workers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        runner.recover()
        yield
        runner.shutdown()

    app = FastAPI(
        title="trichometry clinic service",
        version=__version__,
        description="Subjects, visits, photo uploads, hair analyses and follow-up. JSON API under /api; "
        "log in with POST /api/login and send the returned CSRF token as X-CSRF-Token on every POST.",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.runner = runner
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["version"] = __version__
    app.state.templates = templates

    # request size: all files of one upload plus form overhead, and never more than the request cap
    max_body = min(settings.max_request_bytes, settings.max_upload_bytes * settings.max_files + 1_000_000)
    app.add_middleware(BodyLimit, max_bytes=max_body)
    app.add_middleware(
        SessionMiddleware,
        secret_key=_secret_key(store, settings),
        session_cookie="trichometry_session",
        max_age=int(settings.session_hours * 3600),
        same_site="strict",
        https_only=settings.https_only,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        if not request.url.path.startswith(("/docs", "/redoc")):  # Swagger UI loads its own assets
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
            )
        return response

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(TrichometryError)
    async def _expected(request: Request, exc: TrichometryError):
        code = status_for(exc)
        if code >= 500:
            log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
        if wants_json(request):
            return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=code)
        return templates.TemplateResponse(
            request, "error.html", {"status": code, "message": str(exc), "user": None}, status_code=code
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if wants_json(request) or exc.status_code == 401:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status_code, "message": exc.detail, "user": None},
            status_code=exc.status_code,
        )

    from trichometry.web import api, pages, review, trial_report

    app.include_router(api.router)
    app.include_router(review.router)
    app.include_router(trial_report.router)
    app.include_router(pages.router)
    return app
