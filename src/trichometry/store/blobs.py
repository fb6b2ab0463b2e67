"""Content-addressed file store for original images and derived files.

A file lives at ``<root>/objects/<sha[:2]>/<sha>``; its name is the SHA-256 of its bytes,
so the same bytes are stored once and any change is detected on read. Files are made
read-only. New bytes are first written to ``<root>/tmp`` and fsynced (:meth:`stage`),
then renamed into place (:meth:`publish`) while the caller holds :meth:`lock`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trichometry.store.errors import NotFound, StoreCorrupt, is_disk_full, storage_full
from trichometry.utils.atomic import ensure_writable_dir, fsync_dir

log = logging.getLogger(__name__)

_THREAD_LOCK = threading.Lock()


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class Staged:
    """Bytes written and fsynced to a temporary file, not yet in the store."""

    sha256: str
    tmp_path: Path
    size: int


class BlobStore:
    """Files addressed by SHA-256 under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = ensure_writable_dir(root)
        self.objects = ensure_writable_dir(self.root / "objects")
        self.tmp = ensure_writable_dir(self.root / "tmp")

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives (it may not exist)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFound(f"{sha256!r} is not a SHA-256 hex digest; use the hash shown for the image.")
        return self.objects / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise publish/commit/cleanup across threads and processes on this host."""
        with _THREAD_LOCK, open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def stage(self, data: bytes) -> Staged:
        """Write ``data`` to a temporary file and fsync it."""
        try:
            fd, tmp = tempfile.mkstemp(prefix="upload.", suffix=".tmp", dir=self.tmp)
        except OSError as exc:
            if is_disk_full(exc):
                raise storage_full("the file") from exc
            raise
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and is_disk_full(exc):
                raise storage_full("the file") from exc
            raise
        return Staged(sha256=sha256_hex(data), tmp_path=Path(tmp), size=len(data))

    def publish(self, staged: Staged) -> bool:
        """Move staged bytes into place; returns ``True`` if the file is new.

        Call while holding :meth:`lock`. When the hash is already stored the staged copy
        is discarded (after checking the stored copy is intact).
        """
        final = self.path(staged.sha256)
        if final.is_file():
            self.read(staged.sha256)  # verifies the stored copy
            self.discard(staged)
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.tmp_path, 0o444)
        os.replace(staged.tmp_path, final)
        fsync_dir(final.parent)
        return True

    def discard(self, staged: Staged) -> None:
        """Remove a staged temporary file (no error when already gone)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged.tmp_path)

    def remove_unreferenced(self, sha256: str) -> None:
        """Delete a file that no committed record refers to (rollback of a new upload)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()
            fsync_dir(self.path(sha256).parent)
        log.info("removed unreferenced blob %s after a failed upload", sha256[:12])

    def put(self, data: bytes) -> str:
        """Store derived bytes (overlays, reports) directly; returns their hash."""
        staged = self.stage(data)
        with self.lock():
            self.publish(staged)
        return staged.sha256

    def read(self, sha256: str) -> bytes:
        """The stored bytes, checked against their hash.

        Raises:
            NotFound: nothing is stored under this hash.
            StoreCorrupt: the bytes on disk do not match the hash.
        """
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(
                f"no stored file with SHA-256 {sha256[:12]}...; the data folder may be incomplete "
                "(restore it from backup)."
            ) from exc
        if sha256_hex(data) != sha256:
            raise StoreCorrupt(
                f"stored file {path} no longer matches its SHA-256; the disk or a person changed it. "
                "Restore this file from backup."
            )
        return data

    def all_hashes(self) -> set[str]:
        """Every hash in the store (for consistency checks)."""
        return {p.name for p in self.objects.glob("??/*") if p.is_file()}

    def stray_temporaries(self) -> list[Path]:
        """Temporary files left behind (by a crash); safe to delete when no upload runs."""
        return sorted(self.tmp.iterdir())
