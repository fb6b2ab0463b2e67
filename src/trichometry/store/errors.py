"""Errors of the clinic store; all are :class:`~trichometry.errors.TrichometryError`."""

from __future__ import annotations

from trichometry.errors import ImageTooLarge, TrichometryError

__all__ = [
    "AccessDenied",
    "AppendOnlyViolation",
    "Conflict",
    "ImageTooLarge",
    "InvalidInput",
    "NotFound",
    "StorageFull",
    "StoreCorrupt",
]


class NotFound(TrichometryError, LookupError):
    """A record (subject, visit, image, analysis, user) does not exist or is not visible."""


class AccessDenied(TrichometryError, PermissionError):
    """The user's role or site does not allow the action."""


class Conflict(TrichometryError, ValueError):
    """The record already exists or the request contradicts stored data."""


class InvalidInput(TrichometryError, ValueError):
    """A field of a request is missing or malformed."""


class AppendOnlyViolation(TrichometryError):
    """Someone tried to change or delete an append-only record (analysis, audit, image)."""


class StoreCorrupt(TrichometryError):
    """Stored bytes no longer match their SHA-256 (disk fault or tampering)."""


class StorageFull(TrichometryError, OSError):
    """The disk under the file store or the database is full: nothing of the request was
    stored. Free space (or give the data folder / database more), then try again."""


#: what a full disk says through the database drivers and the OS
_FULL_SIGNS = ("database or disk is full", "no space left on device", "disk full", "could not extend file",
               "could not write to file")  # fmt: skip


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) reports a full disk or quota."""
    import errno

    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(exc, "sqlstate", None) in ("53100", "53000") or getattr(exc, "pgcode", None) == "53100":
            return True
        if any(sign in str(exc).lower() for sign in _FULL_SIGNS):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return False


def storage_full(what: str) -> StorageFull:
    """The one message a full disk gives (the web app answers it with HTTP 507)."""
    return StorageFull(
        f"the clinic's storage is full: {what} was not stored (nothing of this request was kept). "
        "Free disk space under the data folder and the database (or ask IT to enlarge them), then try again; "
        "stored photos and results stay readable meanwhile."
    )
