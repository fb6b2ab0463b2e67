"""Reviewed versions of a photo's hairs, with optimistic concurrency.

A review never changes the detector's analysis. Each save appends

* a new :class:`~trichometry.store.models.Analysis` (method ``"reviewed"``, the base's
  model provenance, the hairs re-measured by the same engine), which is then the photo's
  newest analysis, so every page, export and report reads it like any other;
* a :class:`~trichometry.store.models.HairReview` row: which detector analysis it
  reviews, its version number (1, 2, ...), the reviewer, the reason, the hair list and
  the edits that led to it;
* an audit event naming each edit.

Optimistic concurrency: the caller says which version it edited (``base_version``, 0 =
the detector's own list). If another reviewer saved since, :class:`Conflict` is raised
and nothing is written; the unique ``(base_analysis_id, version)`` index settles two
saves racing past that check (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trichometry.store import audit
from trichometry.store.errors import Conflict, InvalidInput
from trichometry.store.models import Analysis, HairReview, User

if TYPE_CHECKING:
    from trichometry.store.analyses import AnalysisRecord
    from trichometry.store.store import Store

REVIEWED = "reviewed"  # the method of an analysis written by a review
MAX_AUDITED_EDITS = 50  # edits named one by one in the audit event; more are counted


def describe_edit(edit: dict[str, Any]) -> str:
    """One edit as the audit trail names it, e.g. ``removed hair 3``."""
    kind = str(edit.get("op", "?"))[:24]
    hair = edit.get("hair")
    at = edit.get("at")
    where = ""
    if isinstance(at, (list, tuple)) and len(at) == 2:
        where = f" at ({float(at[0]):.0f}, {float(at[1]):.0f})"
    return f"{kind} hair {hair}{where}" if hair is not None else f"{kind}{where}"


class ReviewsMixin:
    """Hair reviews; mixed into :class:`~trichometry.store.store.Store`."""

    def base_of(self: Store, analysis: Analysis) -> Analysis:
        """The detector analysis a (possibly reviewed) analysis goes back to."""
        with self.read() as s:
            base_id = s.execute(
                select(HairReview.base_analysis_id).where(HairReview.analysis_id == analysis.id)
            ).scalar_one_or_none()
            return analysis if base_id is None else s.get(Analysis, base_id)

    def reviews_of(self: Store, base_analysis_id: int) -> list[HairReview]:
        """Every saved review of a detector analysis, oldest (version 1) first."""
        with self.read() as s:
            q = select(HairReview).where(HairReview.base_analysis_id == base_analysis_id)
            q = q.order_by(HairReview.version)
            return list(s.execute(q).scalars())

    def review_of(self: Store, analysis_id: int) -> HairReview | None:
        """The review that wrote analysis ``analysis_id`` (``None`` for a detector's)."""
        with self.read() as s:
            q = select(HairReview).where(HairReview.analysis_id == analysis_id)
            return s.execute(q).scalar_one_or_none()

    def require_review_version(self: Store, base: Analysis, base_version: int) -> None:
        """Raise :class:`Conflict` unless ``base_version`` is still the newest version of
        ``base``'s hairs (a cheap check before re-measuring; the save checks again)."""
        with self.read() as s:
            _checked_version(s, base.id, base_version)

    def save_review(
        self: Store,
        actor: User,
        base: Analysis,
        base_version: int,
        record: AnalysisRecord,
        hairs: list[dict[str, Any]],
        edits: list[dict[str, Any]],
        reason: str,
    ) -> HairReview:
        """Append version ``base_version + 1`` of ``base``'s hairs (see the module docstring).

        Raises:
            Conflict: someone saved a newer version since ``base_version``.
            InvalidInput: no reason, or ``base`` is itself a reviewed analysis.
            AccessDenied: the actor may not write this subject.
        """
        vi = self.get_visit_image(actor, base.visit_image_id)
        self.check_write(actor, vi.visit.subject)
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("a review needs a reason (e.g. 'removed a scale fleck, added a missed hair').")
        if base.method == REVIEWED:
            raise InvalidInput("review the detector's analysis, not a reviewed one (use its base).")
        self.require_review_version(base, base_version)  # before the overlay file is written
        overlay_sha = self.blobs.put(record.overlay_png) if record.overlay_png else None
        try:
            with self.session() as s:
                current = _checked_version(s, base.id, base_version)  # again, inside the transaction
                row = self._analysis_row(s, vi.id, record, actor, overlay_sha)
                review = HairReview(
                    base_analysis_id=base.id,
                    version=current + 1,
                    analysis_id=row.id,
                    user_id=actor.id,
                    reason=reason,
                    hairs_json=json.dumps(hairs, sort_keys=True, allow_nan=False),
                    edits_json=json.dumps(edits, sort_keys=True, allow_nan=False, default=str),
                )
                s.add(review)
                s.flush()
                audit.record(
                    s, actor, "hairs.review", f"analysis:{base.id}",
                    f"version {review.version} -> analysis:{row.id}: {_edits(edits)}. Why: {reason[:300]}",
                )  # fmt: skip
                return review
        except IntegrityError as exc:  # a save raced past the check above
            msg = _conflict_message(base_version, base_version + 1, "another reviewer", None)
            raise Conflict(msg) from exc


def _checked_version(s: Any, base_id: int, base_version: int) -> int:
    """The newest version of ``base_id``'s hairs, when it is ``base_version``; else Conflict."""
    q = select(func.max(HairReview.version)).where(HairReview.base_analysis_id == base_id)
    current = s.execute(q).scalar_one_or_none() or 0
    if current != base_version:
        last = s.execute(
            select(HairReview, User.username)
            .join(User, User.id == HairReview.user_id)
            .where(HairReview.base_analysis_id == base_id, HairReview.version == current)
        ).one()
        raise Conflict(_conflict_message(base_version, current, last[1], last[0].created_at))
    return current


def _edits(edits: list[dict[str, Any]]) -> str:
    named = "; ".join(describe_edit(e) for e in edits[:MAX_AUDITED_EDITS]) or "no edit"
    extra = len(edits) - MAX_AUDITED_EDITS
    return named + (f"; and {extra} more" if extra > 0 else "")


def _conflict_message(base_version: int, current: int, who: str, when: Any) -> str:
    at = f" at {when:%Y-%m-%d %H:%M} UTC" if when is not None else ""
    return (
        f"these hairs changed while you edited them: you started from version {base_version}, "
        f"{who} saved version {current}{at}. Nothing of yours was saved; reload the photo, "
        "check their version and apply your edits again."
    )
