"""Reading a batch of photos from a zip archive, safely and all-or-nothing.

A zip file is a second way for hostile bytes to arrive, with its own tricks: entry names
that climb out of the target folder (``../evil.jpg``, ``/etc/x``, ``C:\\x``), symbolic
links, tens of thousands of entries, entries that inflate a thousandfold (zip bombs),
sizes in the directory that lie about the data, encrypted or duplicate entries. Every
limit is checked from the central directory before anything is inflated, inflation is
then counted chunk by chunk (a lying size cannot blow memory), and each photo passes the
same content checks as a single upload (:func:`trichometry.io.sniff.sniff_format` and the
header pixel cap). One bad entry refuses the whole archive: nothing is returned or written.

Example::

    from trichometry.io.archive import read_zip
    photos = read_zip("visit-3.zip")          # [ArchiveEntry(name, data, format, width, height)]
"""

from __future__ import annotations

import io
import logging
import os
import posixpath
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from trichometry.errors import ImageRejected
from trichometry.io.sniff import SUPPORTED_SUFFIXES, header_size, sniff_format
from trichometry.utils.atomic import atomic_directory

logger = logging.getLogger(__name__)

#: Files that archivers and operating systems add; skipped without complaint.
_SKIPPED = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits for one archive.

    Attributes:
        max_archive_bytes: size of the zip file itself.
        max_entries: entries in its directory (folders included).
        max_entry_bytes: inflated size of one photo.
        max_total_bytes: inflated size of all photos together.
        max_ratio: inflated / compressed size of one entry (photos hardly compress: 1-2x).
        max_pixels: pixel count claimed by one photo's header.
    """

    max_archive_bytes: int = 1024 * 2**20
    max_entries: int = 2000
    max_entry_bytes: int = 64 * 2**20
    max_total_bytes: int = 2048 * 2**20
    max_ratio: float = 50.0
    max_pixels: int = 64_000_000


@dataclass(frozen=True)
class ArchiveEntry:
    """One photo from an archive.

    Attributes:
        name: its path inside the archive (normalised, ``/``-separated, never absolute).
        data: the photo's bytes, unchanged.
        format: ``"jpeg"``, ``"png"``, ``"tiff"`` or ``"dicom"`` (from the content).
        width, height: from the header.
    """

    name: str
    data: bytes
    format: str
    width: int
    height: int


def safe_member_name(raw: str, archive: str = "the archive") -> str:
    """The entry name as a relative POSIX path that cannot leave its folder.

    Raises:
        ImageRejected: absolute paths, drive letters, ``..`` parts, NUL or control characters.
    """
    name = raw.replace("\\", "/")
    if any(ord(c) < 32 for c in name):
        raise ImageRejected(f"{archive} has an entry name with control characters; re-create the zip file.")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts or not parts:
        raise ImageRejected(
            f"{archive} has an entry {raw[:80]!r} that points outside its folder; it was refused as a "
            "whole. Zip only the photo files themselves."
        )
    return posixpath.join(*parts)


def _open(source: str | os.PathLike[str] | bytes, limits: ArchiveLimits) -> tuple[zipfile.ZipFile, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, size, fh = "the zip upload", len(source), io.BytesIO(bytes(source))
    else:
        path = Path(source)
        label = path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ImageRejected(f"{path} cannot be read ({exc.strerror}); check the path.") from exc
        fh = None
    if size > limits.max_archive_bytes:
        raise ImageRejected(
            f"{label} is {size / 2**20:.0f} MiB, above the {limits.max_archive_bytes / 2**20:.0f} MiB "
            "limit for one archive; split the photos into several zip files."
        )
    try:
        return zipfile.ZipFile(fh if fh is not None else Path(source)), label
    except Exception as exc:  # BadZipFile, NotImplementedError (unknown version), OSError, ...
        raise ImageRejected(
            f"{label} is not a readable zip file ({type(exc).__name__}: {exc}); re-create it."
        ) from exc


def _check_directory(
    zf: zipfile.ZipFile, label: str, limits: ArchiveLimits
) -> list[tuple[zipfile.ZipInfo, str]]:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ImageRejected(
            f"{label} has {len(infos):,} entries, more than the {limits.max_entries:,} allowed; "
            "send fewer photos per archive."
        )
    chosen: list[tuple[zipfile.ZipInfo, str]] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = safe_member_name(info.filename, label)
        if info.is_dir() or any(s in info.filename for s in _SKIPPED):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ImageRejected(
                f"{label}: entry {name!r} is a symbolic link; zip the photo files themselves."
            )
        if info.flag_bits & 0x1:
            raise ImageRejected(f"{label}: entry {name!r} is encrypted; send an archive without a password.")
        if not name.lower().endswith(SUPPORTED_SUFFIXES):
            logger.info("%s: skipping %s (not a photo file name)", label, name)
            continue
        if name.lower() in seen:
            raise ImageRejected(f"{label} holds {name!r} twice; keep one copy of each photo.")
        seen.add(name.lower())
        if info.file_size > limits.max_entry_bytes:
            raise ImageRejected(
                f"{label}: {name!r} inflates to {info.file_size / 2**20:.0f} MiB, above the "
                f"{limits.max_entry_bytes / 2**20:.0f} MiB limit per photo."
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise ImageRejected(
                f"{label}: {name!r} would inflate {ratio:.0f}-fold (a photo compresses at most a few-fold); "
                "the archive looks like a zip bomb and was refused."
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ImageRejected(
                f"{label} inflates to more than {limits.max_total_bytes / 2**20:.0f} MiB in all; "
                "split the photos into several zip files."
            )
        chosen.append((info, name))
    if not chosen:
        raise ImageRejected(f"{label} holds no photo files ({', '.join(SUPPORTED_SUFFIXES)}).")
    return chosen


def _inflate(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, label: str, limits: ArchiveLimits
) -> bytes:
    """Inflate one entry chunk by chunk, never past its declared size (directories can lie)."""
    cap = min(info.file_size, limits.max_entry_bytes)
    chunks, got = [], 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 20):
                got += len(chunk)
                if got > cap:
                    raise ImageRejected(
                        f"{label}: {name!r} inflates to more than its directory says; the archive is damaged "
                        "or hostile and was refused."
                    )
                chunks.append(chunk)
    except ImageRejected:
        raise
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError) as exc:
        raise ImageRejected(f"{label}: {name!r} cannot be unpacked ({exc}); re-create the archive.") from exc
    except Exception as exc:  # zlib/bz2/lzma raise their own errors on damaged streams
        raise ImageRejected(
            f"{label}: {name!r} is damaged ({type(exc).__name__}); re-create the archive."
        ) from exc
    return b"".join(chunks)


def read_zip(
    source: str | os.PathLike[str] | bytes, limits: ArchiveLimits | None = None
) -> list[ArchiveEntry]:
    """Every photo in a zip archive, checked; all or none.

    Args:
        source: path of the zip file, or its bytes.
        limits: the limits (defaults of :class:`ArchiveLimits` when None).

    Returns:
        One :class:`ArchiveEntry` per photo, in archive order (non-photo files are skipped).

    Raises:
        ImageRejected: the archive or any photo in it breaks a limit or a content check.
    """
    limits = limits or ArchiveLimits()
    zf, label = _open(source, limits)
    out = []
    with zf:
        for info, name in _check_directory(zf, label, limits):
            data = _inflate(zf, info, name, label, limits)
            try:
                fmt = sniff_format(data, f"{label}: {name}")
                width, height, _bits = header_size(data, fmt, f"{label}: {name}")
            except ImageRejected as exc:
                raise ImageRejected(f"{exc} Nothing from {label} was taken.") from exc
            if width * height > limits.max_pixels:
                raise ImageRejected(
                    f"{label}: {name!r} claims {width}x{height} px, above the "
                    f"{limits.max_pixels / 1e6:.0f} Mpx limit (possible decompression bomb); "
                    "nothing from the archive was taken."
                )
            out.append(ArchiveEntry(name=name, data=data, format=fmt, width=width, height=height))
    logger.info("%s: %d photos", label, len(out))
    return out


def extract_zip(
    source: str | os.PathLike[str] | bytes, dest: str | os.PathLike[str], limits: ArchiveLimits | None = None
) -> list[Path]:
    """Check an archive with :func:`read_zip`, then write its photos under ``dest`` atomically.

    ``dest`` must not exist yet; it appears complete or not at all, and every file lies
    inside it (names were normalised and checked).

    Returns:
        The written paths, in archive order.
    """
    entries = read_zip(source, limits)
    dest = Path(dest)
    written = []
    with atomic_directory(dest) as tmp:
        root = tmp.resolve()
        for e in entries:
            target = (tmp / e.name).resolve()
            if root not in target.parents:  # belt and braces: read_zip already refused these
                raise ImageRejected(f"archive entry {e.name!r} points outside {dest}; refused.")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(e.data)
            written.append(dest / e.name)
    return written
