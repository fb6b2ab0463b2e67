"""The audit log: who did what to which record, when (UTC), as a hash chain.

Each event stores the SHA-256 of its own content and of the previous event, so editing,
inserting or deleting a row by raw SQL breaks :func:`verify_chain`. The table is also
append-only by database trigger.
"""

from __future__ import annotations

import hashlib
import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from trichometry.store.models import AuditEvent, User, utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64


def _event_hash(prev_hash: str, ev: AuditEvent) -> str:
    payload = json.dumps(
        [
            prev_hash,
            ev.at.isoformat(timespec="microseconds"),
            ev.user_id,
            ev.username,
            ev.action,
            ev.target,
            ev.detail,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(session: Session, actor: User | None, action: str, target: str, detail: str = "") -> AuditEvent:
    """Add an audit event to ``session`` (committed with the caller's transaction).

    Args:
        actor: the user acting, or ``None`` for the system (e.g. the background worker).
        action: a short verb such as ``"subject.create"`` or ``"login.failed"``.
        target: the record acted on, e.g. ``"subject:7"``.
        detail: free text (no patient identifiers).
    """
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # one writer at a time extends the chain
        session.connection().exec_driver_sql("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
    last = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    prev = last or GENESIS
    ev = AuditEvent(
        at=utcnow(),
        user_id=actor.id if actor is not None else None,
        username=actor.username if actor is not None else "system",
        action=action,
        target=target[:128],
        detail=detail,
        prev_hash=prev,
        hash="",
    )
    ev.hash = _event_hash(prev, ev)
    session.add(ev)
    session.flush()
    log.debug("audit %s %s %s", ev.username, action, target)
    return ev


def verify_chain(session: Session) -> tuple[bool, int | None]:
    """Check every event's hash and link.

    Returns:
        ``(True, None)`` when intact, else ``(False, id_of_first_bad_event)``.
    """
    prev = GENESIS
    for ev in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
        if ev.prev_hash != prev or _event_hash(prev, ev) != ev.hash:
            return False, ev.id
        prev = ev.hash
    return True, None
