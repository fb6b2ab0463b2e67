"""The clinic store's tables (SQLAlchemy 2 declarative models).

Append-only tables: ``images``, ``analyses``, ``corrections`` and ``audit_log`` are never
updated or deleted (the library offers no way to, and database triggers refuse it, see
the initial migration). A measurement is changed only by adding a :class:`Correction`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "coordinator", "clinician")
JOB_STATES = ("pending", "running", "done", "failed")


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    site: Mapped[Site | None] = relationship(lazy="joined")


class Subject(Base):
    """A pseudonymous subject: a code, never a name."""

    __tablename__ = "subjects"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    site: Mapped[Site] = relationship(lazy="joined")


class TreatmentSession(Base):
    __tablename__ = "treatment_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    session_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Visit(Base):
    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date)
    target_site: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    subject: Mapped[Subject] = relationship(lazy="joined")


class Image(Base):
    """Original image bytes, stored once per SHA-256 in the content store (immutable)."""

    __tablename__ = "images"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitImage(Base):
    """An image as taken at a visit (the same bytes belong to a visit at most once)."""

    __tablename__ = "visit_images"
    __table_args__ = (UniqueConstraint("visit_id", "image_id", name="uq_visit_image"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id"))
    filename: Mapped[str] = mapped_column(String(255))
    um_per_px: Mapped[float | None] = mapped_column(Float, nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    image: Mapped[Image] = relationship(lazy="joined")
    visit: Mapped[Visit] = relationship(lazy="joined")


class Analysis(Base):
    """One analysis of one visit image, with full provenance. Append-only."""

    __tablename__ = "analyses"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_image_id: Mapped[int] = mapped_column(ForeignKey("visit_images.id"), index=True)
    image_sha256: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(32))
    model_name: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str] = mapped_column(String(64))
    weights_sha256: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
    config_hash: Mapped[str] = mapped_column(String(64))
    quality: Mapped[str] = mapped_column(String(32))
    overlay_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads(self.summary_json)

    @property
    def result(self) -> dict[str, Any]:
        return json.loads(self.result_json)


class Correction(Base):
    """A change to an analysis' summary numbers, with who, when and why. Append-only."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    changes_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def changes(self) -> dict[str, Any]:
        return json.loads(self.changes_json)


class Job(Base):
    """A background analysis request and its state (pending/running/done/failed)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_image_id: Mapped[int] = mapped_column(ForeignKey("visit_images.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    analysis_id: Mapped[int | None] = mapped_column(ForeignKey("analyses.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # the worker running it and when it last said so: a claim whose heartbeat is older
    # than the lease is free again (its worker died), see trichometry.store.jobs
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Who did what, when (UTC). Each row hashes the previous one: edits break the chain."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class HairReview(Base):
    """One saved review of a photo's hairs: version ``version`` of the hairs of the
    detector's analysis ``base_analysis_id``, re-measured into the analysis ``analysis_id``.
    Append-only; ``(base_analysis_id, version)`` is unique, which is what turns two
    reviewers saving over the same version into one save and one conflict."""

    __tablename__ = "hair_reviews"
    __table_args__ = (UniqueConstraint("base_analysis_id", "version", name="uq_hair_review_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    base_analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    hairs_json: Mapped[str] = mapped_column(Text)
    edits_json: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def hairs(self) -> list[dict[str, Any]]:
        return json.loads(self.hairs_json)

    @property
    def edits(self) -> list[dict[str, Any]]:
        return json.loads(self.edits_json)
