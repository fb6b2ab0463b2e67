"""The clinic store: one object that owns the database, the file store and the rules.

Every method that acts for a person takes the acting :class:`~trichometry.store.models.User`
first, checks their role and site, and writes an audit event in the same transaction.

Roles:
    * ``admin``: everything, including user accounts.
    * ``coordinator``: reads and exports every site's records, pseudonymised; writes nothing.
    * ``clinician``: reads and writes only subjects of their own site.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trichometry.store import audit
from trichometry.store.analyses import AnalysesMixin
from trichometry.store.blobs import BlobStore
from trichometry.store.engine import READ_ONLY, make_engine, resolve_data_dir, resolve_db_url
from trichometry.store.errors import (
    AccessDenied,
    Conflict,
    InvalidInput,
    NotFound,
    is_disk_full,
    storage_full,
)
from trichometry.store.jobs import JobsMixin
from trichometry.store.migrate import upgrade
from trichometry.store.models import ROLES, Site, User
from trichometry.store.passwords import generate_password, hash_password, verify_password
from trichometry.store.records import RecordsMixin
from trichometry.store.reviews import ReviewsMixin
from trichometry.store.uploads import UploadsMixin

log = logging.getLogger(__name__)

ADMIN_PASSWORD_ENV = "TRICHOMETRY_ADMIN_PASSWORD"


class Store(RecordsMixin, UploadsMixin, AnalysesMixin, ReviewsMixin, JobsMixin):
    """Database + content-addressed files under one data folder.

    Args:
        engine: SQLAlchemy engine (see :func:`trichometry.store.engine.make_engine`).
        data_dir: folder holding ``blobs/`` (and the SQLite file by default).
    """

    def __init__(self, engine: Engine, data_dir: Path) -> None:
        self.engine = engine
        self.data_dir = Path(data_dir)
        self.blobs = BlobStore(self.data_dir / "blobs")
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def open(
        cls, data_dir: str | os.PathLike[str] | None = None, db_url: str | None = None, migrate: bool = True
    ) -> Store:
        """Open (and by default create or migrate) the store.

        Args:
            data_dir: data folder; default ``$TRICHOMETRY_DATA`` or ``./trichometry-data``.
            db_url: database URL; default ``$TRICHOMETRY_DB`` or SQLite in the data folder.
            migrate: bring the schema to the newest revision first.
        """
        folder = resolve_data_dir(data_dir)
        engine = make_engine(resolve_db_url(db_url, folder))
        if migrate:
            upgrade(engine)
        return cls(engine, folder)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error; a full disk
        surfaces as :class:`~trichometry.store.errors.StorageFull`."""
        try:
            with self._sessions() as s, s.begin():
                yield s
        except (OSError, DBAPIError) as exc:
            if is_disk_full(exc):
                raise storage_full("the change") from exc
            raise

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (on SQLite it never waits for writers)."""
        with self._read_sessions() as s, s.begin():
            yield s

    # ----------------------------------------------------------------------------- accounts
    def create_site(self, code: str, name: str, actor: User | None = None) -> Site:
        """Add a clinic/trial site (admin only when an actor is given)."""
        if actor is not None:
            self.require_role(actor, "admin")
        code = code.strip()
        if not code or len(code) > 32:
            raise InvalidInput("a site code needs 1-32 characters, e.g. 'BER01'.")
        try:
            with self.session() as s:
                site = Site(code=code, name=name.strip() or code)
                s.add(site)
                s.flush()
                audit.record(s, actor, "site.create", f"site:{site.id}", code)
        except IntegrityError as exc:
            raise Conflict(f"site {code!r} already exists; choose another code.") from exc
        return site

    def get_site(self, code: str) -> Site:
        with self.read() as s:
            site = s.execute(select(Site).where(Site.code == code)).scalar()
        if site is None:
            raise NotFound(f"no site {code!r}; create it first (admin) or check the code.")
        return site

    def list_sites(self) -> list[Site]:
        with self.read() as s:
            return list(s.execute(select(Site).order_by(Site.code)).scalars())

    def create_user(
        self, username: str, password: str, role: str, site_code: str | None = None, actor: User | None = None
    ) -> User:
        """Add a user account; clinicians need a site."""
        if actor is not None:
            self.require_role(actor, "admin")
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(ROLES)}.")
        username = username.strip()
        if not username or len(username) > 64:
            raise InvalidInput("a user name needs 1-64 characters.")
        if role == "clinician" and not site_code:
            raise InvalidInput("a clinician belongs to a site; give its site code.")
        site_id = self.get_site(site_code).id if site_code else None
        try:
            with self.session() as s:
                user = User(
                    username=username, password_hash=hash_password(password), role=role, site_id=site_id
                )
                s.add(user)
                s.flush()
                audit.record(s, actor, "user.create", f"user:{user.id}", f"{username} as {role}")
                s.refresh(user)
        except IntegrityError as exc:
            raise Conflict(f"user {username!r} already exists; choose another name.") from exc
        return user

    def get_user(self, user_id: int) -> User:
        with self.read() as s:
            user = s.get(User, user_id)
        if user is None or not user.active:
            raise NotFound(f"no active user with id {user_id}; log in again.")
        return user

    def list_users(self, actor: User) -> list[User]:
        self.require_role(actor, "admin")
        with self.read() as s:
            return list(s.execute(select(User).order_by(User.username)).scalars())

    def set_password(self, actor: User, user_id: int, new_password: str) -> None:
        """Change a password: one's own, or anyone's as admin."""
        if actor.id != user_id:
            self.require_role(actor, "admin")
        new_hash = hash_password(new_password)
        with self.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"no user with id {user_id}.")
            user.password_hash = new_hash
            audit.record(s, actor, "user.password", f"user:{user_id}")

    def set_active(self, actor: User, user_id: int, active: bool) -> None:
        """Disable or re-enable an account (admin only; users are never deleted)."""
        self.require_role(actor, "admin")
        if actor.id == user_id and not active:
            raise InvalidInput("you cannot disable your own account; ask another administrator.")
        with self.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"no user with id {user_id}.")
            user.active = active
            audit.record(s, actor, "user.enable" if active else "user.disable", f"user:{user_id}")

    def authenticate(self, username: str, password: str) -> User:
        """The user with these credentials; failures are audited.

        Raises:
            AccessDenied: unknown user, wrong password or inactive account (one message).
        """
        with self.session() as s:
            user = s.execute(select(User).where(User.username == username)).scalar()
            ok = user is not None and user.active and verify_password(user.password_hash, password)
            audit.record(s, user if ok else None, "login" if ok else "login.failed", f"user:{username}"[:128])
        if not ok:
            raise AccessDenied("wrong user name or password; try again or ask an administrator.")
        assert user is not None
        return user

    def ensure_admin(self, username: str = "admin") -> tuple[User, str | None]:
        """Create the first admin when no user exists yet.

        The password is ``$TRICHOMETRY_ADMIN_PASSWORD`` when set, else a random one that is
        returned (to be shown once). Returns ``(admin, generated_password_or_None)``.
        """
        with self.session() as s:
            existing = s.execute(select(User).where(User.role == "admin").limit(1)).scalar()
        if existing is not None:
            return existing, None
        env_pw = os.environ.get(ADMIN_PASSWORD_ENV)
        password = env_pw or generate_password()
        user = self.create_user(username, password, "admin")
        log.info("created first admin user %r", username)
        return user, None if env_pw else password

    def audit_events(self, actor: User, limit: int = 200) -> list[dict[str, str | int | None]]:
        """The newest ``limit`` audit events, newest first (admins only)."""
        from trichometry.store.models import AuditEvent

        self.require_role(actor, "admin")
        with self.read() as s:
            q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
            return [
                {"id": e.id, "at": e.at.isoformat(), "user": e.username, "action": e.action,
                 "target": e.target, "detail": e.detail}
                for e in s.execute(q).scalars()
            ]  # fmt: skip

    def verify_audit(self) -> tuple[bool, int | None]:
        """Check the audit hash chain; see :func:`trichometry.store.audit.verify_chain`."""
        with self.read() as s:
            return audit.verify_chain(s)

    def record_event(self, actor: User | None, action: str, target: str, detail: str = "") -> None:
        """Audit something that changes no record (a download, an export, a refused request)."""
        with self.session() as s:
            audit.record(s, actor, action, target, detail)

    def active_user(self, username: str) -> User | None:
        """The active user of that name, ``None`` when there is none."""
        with self.read() as s:
            return s.execute(select(User).where(User.username == username, User.active.is_(True))).scalar()

    def audit_state(self, expect_head: str | None = None) -> dict[str, object]:
        """What ``trichometry audit verify`` reports: event count, newest hash, whether
        ``expect_head`` is still in the chain, and the hashes of every stored file."""
        from sqlalchemy import func

        from trichometry.store.models import Analysis, AuditEvent, Image

        with self.read() as s:
            n = s.execute(select(func.count(AuditEvent.id))).scalar() or 0
            head = s.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
            known = None
            if expect_head:
                known = s.execute(
                    select(AuditEvent.id).where(AuditEvent.hash == expect_head.strip())
                ).scalar()
            files = set(s.execute(select(Image.sha256)).scalars())
            files |= {h for h in s.execute(select(Analysis.overlay_sha256)).scalars() if h}
        return {"events": int(n), "head": head, "expect_head_found": known is not None, "file_hashes": files}

    # ----------------------------------------------------------------------------- access
    def require_role(self, actor: User, *roles: str) -> None:
        """Raise :class:`AccessDenied` (and audit it) unless ``actor`` has one of ``roles``."""
        if actor.role not in roles:
            self.deny(actor, "role", f"needs role {' or '.join(roles)}")

    def deny(self, actor: User, target: str, why: str) -> None:
        """Audit a refused action and raise :class:`AccessDenied`."""
        with self.session() as s:
            audit.record(s, actor, "denied", target, why)
        raise AccessDenied(f"{actor.username} ({actor.role}) may not do this: {why}.")
