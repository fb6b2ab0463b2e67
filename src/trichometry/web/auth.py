"""Log-in state, the current user, and CSRF protection.

Sessions are signed cookies (Starlette's ``SessionMiddleware``, itsdangerous) holding
only the user id and a random CSRF token. Every state-changing request must echo that
token: forms in a hidden ``csrf_token`` field, API calls in the ``X-CSRF-Token`` header.
Authentication is checked first: an anonymous API call gets 401 (an anonymous form POST
a redirect to /login), a logged-in one with a bad token 403 (audited as ``denied``).
"""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import HTTPException, Request

from trichometry.store import NotFound, Store, User

log = logging.getLogger(__name__)

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """Raised for pages when nobody is logged in (answered with a redirect to /login)."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None, user: User | None = None) -> None:
    """Refuse the request unless ``submitted`` equals the session's token (HTTP 403).

    A refusal of a logged-in ``user`` is recorded in the audit log as ``denied`` (target
    ``csrf``); anonymous refusals (the log-in form) are only logged, since the audit log
    names a person for every event.
    """
    expected = request.session.get("csrf")
    if expected and submitted and hmac.compare_digest(str(expected), str(submitted)):
        return
    why = f"{request.method} {request.url.path} without a valid CSRF token"
    if user is not None:
        store: Store = request.app.state.store
        store.record_event(user, "denied", "csrf", why)
    else:
        log.warning("anonymous request refused: %s", why)
    raise HTTPException(
        status_code=403,
        detail="missing or wrong CSRF token; reload the page (or send the X-CSRF-Token header), retry.",
    )


def log_in(request: Request, user: User) -> str:
    """Start a fresh session for ``user``; returns the new CSRF token."""
    request.session.clear()
    request.session["uid"] = user.id
    return csrf_token(request)


def _user(request: Request) -> User | None:
    uid = request.session.get("uid")
    if uid is None:
        return None
    store: Store = request.app.state.store
    try:
        return store.get_user(int(uid))
    except NotFound:
        request.session.clear()
        return None


def api_user(request: Request) -> User:
    """FastAPI dependency for ``/api``: the logged-in user, else HTTP 401."""
    user = _user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="not logged in; POST /api/login first.")
    return user


def page_user(request: Request) -> User:
    """FastAPI dependency for pages: the logged-in user, else a redirect to /login."""
    user = _user(request)
    if user is None:
        raise LoginRequired(str(request.url.path))
    return user


def api_csrf(request: Request) -> None:
    """FastAPI dependency for API POSTs: log-in first (HTTP 401), then the CSRF header (403)."""
    check_csrf(request, request.headers.get(CSRF_HEADER), api_user(request))


async def form_csrf(request: Request) -> None:
    """FastAPI dependency for form POSTs: log-in first (redirect), then the CSRF field or header."""
    user = _user(request)
    if user is None:
        raise LoginRequired(str(request.url.path))
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER), user)
