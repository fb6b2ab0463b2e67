"""Receiving photo uploads (shared by the pages and the JSON API).

A request is all-or-nothing: every file is checked before the first one is stored, so
one bad file in a batch stores nothing and the answer names the file.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from trichometry.io.archive import ArchiveLimits, read_zip
from trichometry.store import InvalidInput, Store, User
from trichometry.store.errors import ImageTooLarge
from trichometry.store.uploads import safe_filename


async def read_upload_form(
    request: Request, max_files: int, max_bytes: int
) -> tuple[list[tuple[str, bytes]], Any]:
    """The uploaded files ``[(name, bytes)]`` and the form, within the limits.

    Raises:
        InvalidInput: malformed form, no file, or too many parts.
        ImageTooLarge: a file above ``max_bytes``.
    """
    try:
        form = await request.form(max_files=max_files, max_fields=20)
    except (MultiPartException, HTTPException) as exc:  # Starlette wraps parser errors in a 400
        why = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        raise InvalidInput(
            f"the upload form is malformed or has too many parts ({why}); send at most "
            f"{max_files} photos at once."
        ) from exc
    files: list[tuple[str, bytes]] = []
    for value in form.getlist("files"):
        if not isinstance(value, UploadFile):
            continue
        data = await value.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ImageTooLarge(
                f"{safe_filename(value.filename)} is larger than {max_bytes:,} bytes; "
                "upload the native-size photo."
            )
        if data[:4] == b"PK\x03\x04":  # a zip batch: unpacked with its own limits, all or nothing
            limits = ArchiveLimits(
                max_entries=max(10 * max_files, 100), max_entry_bytes=max_bytes, max_total_bytes=4 * max_bytes
            )
            files.extend((e.name, e.data) for e in read_zip(data, limits))
        elif value.filename or data:
            files.append((value.filename or "upload", data))
    if not files:
        raise InvalidInput("no photo was attached; choose or drop one or more JPEG/PNG/TIFF files.")
    return files, form


def parse_um_per_px(value: Any) -> float | None:
    """The optional scale field (empty means unknown)."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return float(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(f"um per pixel {value!r} is not a number, e.g. 2.8.") from exc


def store_uploads(
    store: Store, runner, user: User, visit_id: int, files: list[tuple[str, bytes]], um_per_px: float | None
) -> list[dict[str, Any]]:
    """Store all files (or none: every file is checked first, then one transaction) with an
    analysis job each (:meth:`~trichometry.store.Store.add_images`); one dict per file."""
    out = []
    stored = store.add_images(user, visit_id, list(files), um_per_px, job_method=runner.settings.method)
    runner.wake()
    for vi, created, job_id in stored:
        out.append(
            {
                "visit_image_id": vi.id,
                "sha256": vi.image.sha256,
                "filename": vi.filename,
                "created": created,
                "job_id": job_id,
            }
        )
    return out
