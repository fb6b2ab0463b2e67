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
