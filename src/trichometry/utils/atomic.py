"""Write files and folders so that a crash never leaves half of them behind.

Everything the project writes for a user goes through these helpers: data is written
to a temporary sibling first and moved into place with :func:`os.replace`, which is
atomic on POSIX and Windows when source and target share a file system.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from trichometry.errors import OutputError


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries to disk (a rename inside it survives a crash); no-op where unsupported."""
    with contextlib.suppress(OSError):  # not supported on every platform / file system
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def ensure_writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and parents) if needed and check that files can be written there.

    Raises:
        OutputError: with a message naming the folder and the reason.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output folder {path}: {exc.strerror or exc}. "
            "Choose a folder you can write to (--out)."
        ) from exc
    if not path.is_dir():
        raise OutputError(f"output path {path} exists and is not a folder; choose another --out.")
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {path} is not writable; choose a folder you can write to (--out).")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + fsync + rename).

    The file gets the usual permissions for a new file (``0o666`` less the umask), not
    the owner-only mode of the temporary file it is written through.
    """
    path = Path(path)
    ensure_writable_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], overwrite: bool = False) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it into place only on success.

    Example::

        with atomic_directory(out / "cohort") as tmp:
            (tmp / "a.txt").write_text("...")
        # out/cohort now exists complete, or not at all

    Args:
        path: final folder.
        overwrite: replace an existing folder at ``path``; otherwise it is an error.
    """
    path = Path(path)
    ensure_writable_dir(path.parent)
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists; remove it or choose another output folder.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it owner-only
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
