"""Clearing what a killed process left in the file store: staged temporaries and orphans.

An upload writes its bytes to ``blobs/tmp``, moves them into place, then commits the
record (see :mod:`trichometry.store.uploads`). A process killed between those steps
leaves a temporary file, or a stored file that no record names. Neither is ever
referenced, so removing them loses nothing; :func:`sweep` does that under the store
lock, and only for files older than ``min_age_s`` so uploads in flight in another
process (whose analysis overlay is stored just before its record) are left alone.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trichometry.store.store import Store

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What :func:`sweep` removed (or would remove with ``dry_run``)."""

    temporaries: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)


def _old(path: os.PathLike[str] | str, cutoff: float) -> bool:
    try:
        return os.stat(path).st_mtime <= cutoff
    except FileNotFoundError:
        return False


def sweep(store: Store, min_age_s: float = 3600.0, dry_run: bool = False) -> SweepReport:
    """Remove stray temporaries and unreferenced stored files older than ``min_age_s``.

    Args:
        store: an open store.
        min_age_s: leave younger files alone (another process may still be committing them).
            Use 0 only when no other process writes to the store.
        dry_run: report without removing.

    Returns:
        :class:`SweepReport` with the temporary file names and the orphan hashes.
    """
    report = SweepReport()
    cutoff = time.time() - min_age_s
    with store.blobs.lock():
        for tmp in store.blobs.stray_temporaries():
            if _old(tmp, cutoff):
                report.temporaries.append(tmp.name)
                if not dry_run:
                    tmp.unlink(missing_ok=True)
        for sha in sorted(store.orphan_files()):
            if _old(store.blobs.path(sha), cutoff):
                report.orphans.append(sha)
                if not dry_run:
                    store.blobs.remove_unreferenced(sha)
    if report.temporaries or report.orphans:
        log.warning(
            "%s %d stray temporaries and %d unreferenced files left by an interrupted write",
            "found" if dry_run else "removed",
            len(report.temporaries),
            len(report.orphans),
        )
    return report
