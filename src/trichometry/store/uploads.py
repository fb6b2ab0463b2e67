"""Adding photos to visits: checked, content-addressed, all-or-nothing.

Order of an upload (:meth:`UploadsMixin.add_image`):

1. check the bytes (:func:`trichometry.store.images.inspect_image`); nothing is written
   for a rejected file;
2. write them to a temporary file and fsync;
3. under the store lock: rename into the content store, then commit the database rows;
   if the commit fails, the newly placed file is removed again.

So a failed upload leaves no record and no file, and a committed record always has its
file. The same bytes are one :class:`~trichometry.store.models.Image`, however often and
to whichever visits they are uploaded.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from trichometry.errors import ImageRejected
from trichometry.store import audit
from trichometry.store.errors import InvalidInput, NotFound
from trichometry.store.images import MAX_BYTES, inspect_image
from trichometry.store.models import Analysis, Image, User, Visit, VisitImage

if TYPE_CHECKING:
    from trichometry.store.store import Store

log = logging.getLogger(__name__)


def safe_filename(name: str | None) -> str:
    """A display name without folders, control characters or odd symbols (max 120 chars)."""
    base = os.path.basename((name or "").replace("\\", "/").replace("\x00", ""))
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base[-120:] or "upload"


class UploadsMixin:
    """Image uploads; mixed into :class:`~trichometry.store.store.Store`."""

    max_upload_bytes: int = MAX_BYTES
    #: False: store a PNG rebuilt from the pixels instead of the uploaded bytes (no EXIF/XMP/
    #: IPTC/text metadata is ever kept; XNAT-style de-identification at ingest).
    keep_originals: bool = True

    def add_image(
        self: Store,
        actor: User | None,
        visit_id: int,
        data: bytes,
        filename: str | None = None,
        um_per_px: float | None = None,
    ) -> tuple[VisitImage, bool]:
        """Store a photo taken at a visit.

        Args:
            actor: uploading user (``None`` only for trusted command-line ingest).
            visit_id: the visit.
            data: the file's bytes, kept unchanged.
            filename: the uploaded name (sanitised; for display only).
            um_per_px: scale of the photo, when known.

        Returns:
            ``(visit_image, created)``; ``created`` is ``False`` when these bytes were
            already attached to this visit.

        Raises:
            ImageRejected / ImageTooLarge: the bytes are not an acceptable image.
            NotFound / AccessDenied: the visit does not exist or is not the actor's.
        """
        vi, created, _ = self.add_images(actor, visit_id, [(filename, data)], um_per_px)[0]
        return vi, created

    def add_images(
        self: Store,
        actor: User | None,
        visit_id: int,
        files: list[tuple[str | None, bytes]],
        um_per_px: float | None = None,
        job_method: str | None = None,
    ) -> list[tuple[VisitImage, bool, int | None]]:
        """Store several photos of a visit **all or none**, with an analysis job for each new
        one when ``job_method`` is given: every file is checked and written to disk first,
        then all records (images, links, jobs, audit events) commit in one transaction. A
        full disk (:class:`~trichometry.store.errors.StorageFull`) or any other failure
        leaves nothing of the request behind.

        Returns:
            ``(visit_image, created, job_id)`` per file, in order.
        """
        if actor is not None:
            visit = self.get_visit(actor, visit_id)
            self.check_write(actor, visit.subject)
        else:
            with self.session() as s:
                if s.get(Visit, visit_id) is None:
                    raise NotFound(f"no visit with id {visit_id}; create the visit first.")
        if um_per_px is not None and not (0.05 <= float(um_per_px) <= 100.0):
            raise InvalidInput(f"um_per_px={um_per_px} is outside 0.05-100; check the device calibration.")
        prepared = []
        for name, data in files:
            try:
                info = inspect_image(data, max_bytes=self.max_upload_bytes)
            except ImageRejected as exc:  # ImageTooLarge too: name the file, nothing was stored
                raise type(exc)(f"{safe_filename(name)}: {exc} Nothing from this upload was stored.") from exc
            if not self.keep_originals:
                from trichometry.privacy import scrubbed_copy

                data = scrubbed_copy(data)
                info = inspect_image(data, max_bytes=max(self.max_upload_bytes, len(data)))
            prepared.append((name, data, info))
        staged: list[Any] = []
        try:
            for _, data, _ in prepared:
                staged.append(self.blobs.stage(data))
            with self.blobs.lock():
                placed: list[str] = []
                try:
                    for st in staged:
                        if self.blobs.publish(st):
                            placed.append(st.sha256)
                    return self._commit_uploads(actor, visit_id, prepared, staged, um_per_px, job_method)
                except BaseException:
                    for sha in placed:
                        self._drop_if_unreferenced(sha)
                    raise
        finally:
            for st in staged:
                self.blobs.discard(st)

    def _commit_uploads(self: Store, actor, visit_id, prepared, staged, um_per_px, job_method):  # type: ignore[no-untyped-def]
        from trichometry.store.models import Job

        out = []
        with self.session() as s:
            for (name, data, info), st in zip(prepared, staged):
                args = (st.sha256, info, data, name, um_per_px)
                link, created = self._commit_upload(s, actor, visit_id, *args)
                job_id = None
                if created and job_method:
                    by = actor.id if actor else None
                    job = Job(visit_image_id=link.id, method=job_method, created_by=by)
                    s.add(job)
                    s.flush()
                    job_id = job.id
                out.append((link, created, job_id))
        return out

    def _commit_upload(self: Store, s, actor, visit_id, sha, info, data, filename, um_per_px):  # type: ignore[no-untyped-def]
        image = s.execute(select(Image).where(Image.sha256 == sha)).scalar()
        if image is None:
            size = {
                "size_bytes": len(data),
                "format": info.format,
                "width": info.width,
                "height": info.height,
            }
            image = Image(sha256=sha, **size)
            s.add(image)
            s.flush()
            what = f"{info.format} {info.width}x{info.height}"
            audit.record(s, actor, "image.store", f"image:{sha[:16]}", what)
        link = s.execute(
            select(VisitImage).where(VisitImage.visit_id == visit_id, VisitImage.image_id == image.id)
        ).scalar()
        if link is not None:
            return link, False
        link = VisitImage(
            visit_id=visit_id,
            image_id=image.id,
            filename=safe_filename(filename),
            um_per_px=um_per_px,
            uploaded_by=actor.id if actor is not None else None,
        )
        s.add(link)
        s.flush()
        audit.record(s, actor, "image.upload", f"visit_image:{link.id}", f"visit:{visit_id} image:{sha[:16]}")
        s.refresh(link)
        return link, True

    def _drop_if_unreferenced(self: Store, sha: str) -> None:
        with self.read() as s:
            referenced = s.execute(select(Image.id).where(Image.sha256 == sha)).scalar() is not None
        if not referenced:
            self.blobs.remove_unreferenced(sha)

    def list_visit_images(self: Store, actor: User, visit_id: int) -> list[VisitImage]:
        """The photos of a visit, in upload order."""
        visit = self.get_visit(actor, visit_id)
        with self.read() as s:
            q = select(VisitImage).where(VisitImage.visit_id == visit.id).order_by(VisitImage.id)
            return list(s.execute(q).scalars())

    def get_visit_image(self: Store, actor: User | None, visit_image_id: int) -> VisitImage:
        """One visit photo the actor may read (``actor=None``: trusted internal use)."""
        with self.read() as s:
            vi = s.get(VisitImage, visit_image_id)
        if vi is None:
            raise NotFound(f"no image with id {visit_image_id}; open the visit to see its images.")
        if actor is not None:
            self.check_read(actor, vi.visit.subject)
        return vi

    def image_bytes(self: Store, sha256: str) -> bytes:
        """The original bytes of a stored image, verified against their hash."""
        return self.blobs.read(sha256)

    def orphan_files(self: Store) -> set[str]:
        """Hashes in the file store that no image or analysis refers to (left by a crash)."""
        with self.read() as s:
            known = set(s.execute(select(Image.sha256)).scalars())
            known |= {h for h in s.execute(select(Analysis.overlay_sha256)).scalars() if h}
        return self.blobs.all_hashes() - known
