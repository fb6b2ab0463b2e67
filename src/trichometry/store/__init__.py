"""The clinic store: subjects, visits, content-addressed images, append-only analyses.

Quick start::

    from trichometry.store import Store
    store = Store.open("./trichometry-data")        # SQLite, created and migrated
    admin, pw = store.ensure_admin()
"""

from __future__ import annotations

from trichometry.store.analyses import AnalysisRecord
from trichometry.store.errors import (
    AccessDenied,
    AppendOnlyViolation,
    Conflict,
    ImageTooLarge,
    InvalidInput,
    NotFound,
    StoreCorrupt,
)
from trichometry.store.store import Store

__all__ = [
    "AccessDenied",
    "AnalysisRecord",
    "AppendOnlyViolation",
    "Conflict",
    "ImageTooLarge",
    "InvalidInput",
    "NotFound",
    "Store",
    "StoreCorrupt",
]
