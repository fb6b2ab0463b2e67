"""Subjects, treatment sessions and visits, with per-site access rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trichometry.store import audit
from trichometry.store.errors import Conflict, InvalidInput, NotFound
from trichometry.store.models import Subject, TreatmentSession, User, Visit

if TYPE_CHECKING:
    from trichometry.store.store import Store

SUBJECT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
TARGET_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def parse_date(value: str | dt.date) -> dt.date:
    """A date from ``YYYY-MM-DD`` (or a :class:`datetime.date`)."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not a date; write it as YYYY-MM-DD.") from exc


class RecordsMixin:
    """Subject and visit records; mixed into :class:`~trichometry.store.store.Store`."""

    # ----------------------------------------------------------------------------- rules
    def can_read(self: Store, actor: User, subject: Subject) -> bool:
        return actor.role in ("admin", "coordinator") or subject.site_id == actor.site_id

    def check_read(self: Store, actor: User, subject: Subject) -> None:
        if not self.can_read(actor, subject):
            self.deny(actor, f"subject:{subject.id}", "the subject belongs to another site")

    def check_write(self: Store, actor: User, subject: Subject) -> None:
        if actor.role == "coordinator":
            self.deny(actor, f"subject:{subject.id}", "coordinators read and export only")
        self.check_read(actor, subject)

    # ----------------------------------------------------------------------------- subjects
    def create_subject(self: Store, actor: User, code: str, site_code: str | None = None) -> Subject:
        """Add a subject under a pseudonymous ``code`` (letters, digits, ``_.-``; no names).

        Clinicians create subjects at their own site; admins name the site.
        """
        if actor.role == "coordinator":
            self.deny(actor, "subject", "coordinators read and export only")
        code = code.strip()
        if not SUBJECT_CODE.match(code):
            raise InvalidInput(
                f"subject code {code!r} is not valid: use 1-32 letters, digits, '_', '.' or '-' "
                "(a pseudonym such as 'S-0042', never a name)."
            )
        if actor.role == "clinician":
            if site_code and actor.site is not None and site_code != actor.site.code:
                self.deny(actor, f"site:{site_code}", "clinicians add subjects to their own site only")
            site_id = actor.site_id
        else:
            sites = self.list_sites()
            if site_code:
                site_id = self.get_site(site_code).id
            elif len(sites) == 1:
                site_id = sites[0].id
            elif not sites:
                raise InvalidInput(
                    "no site exists yet; create one first (`trichometry serve` creates site MAIN)."
                )
            else:
                raise InvalidInput("choose the subject's site (several sites exist).")
        if site_id is None:
            raise InvalidInput("no site to put the subject in; create a site first.")
        try:
            with self.session() as s:
                subject = Subject(code=code, site_id=site_id, created_by=actor.id)
                s.add(subject)
                s.flush()
                audit.record(s, actor, "subject.create", f"subject:{subject.id}", code)
                s.refresh(subject)
        except IntegrityError as exc:
            raise Conflict(f"subject {code!r} already exists; open it instead.") from exc
        return subject

    def list_subjects(self: Store, actor: User) -> list[Subject]:
        """Subjects the actor may see, by code."""
        q = select(Subject).order_by(Subject.code)
        if actor.role == "clinician":
            q = q.where(Subject.site_id == actor.site_id)
        with self.read() as s:
            return list(s.execute(q).scalars())

    def get_subject(self: Store, actor: User, subject: int | str) -> Subject:
        """A subject by id or code, if the actor may read it.

        Raises:
            NotFound: no such subject.
            AccessDenied: it belongs to another site.
        """
        with self.read() as s:
            if isinstance(subject, int):
                found = s.get(Subject, subject)
            else:
                found = s.execute(select(Subject).where(Subject.code == subject)).scalar()
        if found is None:
            raise NotFound(f"no subject {subject!r}; check the code or create the subject first.")
        self.check_read(actor, found)
        return found

    # ----------------------------------------------------------------------------- treatments
    def add_treatment_session(
        self: Store, actor: User, subject_id: int, session_date: str | dt.date, kind: str, notes: str = ""
    ) -> TreatmentSession:
        """Record a treatment session (e.g. PRP, stem cells) given to a subject."""
        subject = self.get_subject(actor, subject_id)
        self.check_write(actor, subject)
        if not kind.strip():
            raise InvalidInput("name the treatment (e.g. 'PRP').")
        with self.session() as s:
            ts = TreatmentSession(
                subject_id=subject.id,
                session_date=parse_date(session_date),
                kind=kind.strip()[:64],
                notes=notes,
                created_by=actor.id,
            )
            s.add(ts)
            s.flush()
            audit.record(s, actor, "treatment.create", f"treatment:{ts.id}", f"subject:{subject.id}")
        return ts

    def list_treatment_sessions(self: Store, actor: User, subject_id: int) -> list[TreatmentSession]:
        subject = self.get_subject(actor, subject_id)
        with self.read() as s:
            q = select(TreatmentSession).where(TreatmentSession.subject_id == subject.id)
            return list(s.execute(q.order_by(TreatmentSession.session_date)).scalars())

    # ----------------------------------------------------------------------------- visits
    def create_visit(
        self: Store,
        actor: User,
        subject_id: int,
        visit_date: str | dt.date,
        target_site: str,
        arm: str | None = None,
    ) -> Visit:
        """Add a visit (date, scalp target site such as 'frontal', optional trial arm)."""
        subject = self.get_subject(actor, subject_id)
        self.check_write(actor, subject)
        target_site = target_site.strip()
        if not TARGET_SITE.match(target_site):
            raise InvalidInput("name the target site with 1-64 letters/digits, e.g. 'frontal' or 'vertex'.")
        with self.session() as s:
            visit = Visit(
                subject_id=subject.id,
                visit_date=parse_date(visit_date),
                target_site=target_site,
                arm=(arm or "").strip()[:64] or None,
                created_by=actor.id,
            )
            s.add(visit)
            s.flush()
            audit.record(s, actor, "visit.create", f"visit:{visit.id}", f"subject:{subject.id}")
            s.refresh(visit)
        return visit

    def list_visits(self: Store, actor: User, subject_id: int) -> list[Visit]:
        """A subject's visits, oldest first."""
        subject = self.get_subject(actor, subject_id)
        with self.read() as s:
            q = select(Visit).where(Visit.subject_id == subject.id).order_by(Visit.visit_date, Visit.id)
            return list(s.execute(q).scalars())

    def get_visit(self: Store, actor: User, visit_id: int) -> Visit:
        """A visit the actor may read.

        Raises:
            NotFound: no such visit.
            AccessDenied: its subject belongs to another site.
        """
        with self.read() as s:
            visit = s.get(Visit, visit_id)
        if visit is None:
            raise NotFound(f"no visit with id {visit_id}; open the subject to see its visits.")
        self.check_read(actor, visit.subject)
        return visit

    def find_visit(self: Store, actor: User, subject_id: int, visit_date: str | dt.date) -> Visit | None:
        """The subject's first visit on ``visit_date``, if any."""
        day = parse_date(visit_date)
        for visit in self.list_visits(actor, subject_id):
            if visit.visit_date == day:
                return visit
        return None
