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
    StorageFull,
    StoreCorrupt,
)
from trichometry.store.models import (
    Analysis,
    HairReview,
    Job,
    Subject,
    TreatmentSession,
    User,
    Visit,
    VisitImage,
)
from trichometry.store.store import Store

# the record types front ends read (attributes only: change them through Store methods)
__all__ = [
    "AccessDenied",
    "Analysis",
    "AnalysisRecord",
    "AppendOnlyViolation",
    "Conflict",
    "HairReview",
    "ImageTooLarge",
    "InvalidInput",
    "Job",
    "NotFound",
    "StorageFull",
    "Store",
    "StoreCorrupt",
    "Subject",
    "TreatmentSession",
    "User",
    "Visit",
    "VisitImage",
]
