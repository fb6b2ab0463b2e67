"""Backups that prove they restore: ``trichometry backup DEST`` and ``trichometry restore SRC``.

A backup folder holds::

    database.sqlite | database.pgdump   a consistent snapshot of the database
                                        (SQLite's online backup API; pg_dump, custom format)
    blobs/<sha[:2]>/<sha>               every file the snapshot refers to (images, overlays)
    manifest.json                       what is there: each file's size and SHA-256, the
                                        schema revision, record counts, the audit chain's head

The database is snapshotted first, then the files it refers to are copied. Files are
content-addressed and never change, and a record is committed only after its file is in
place, so a backup taken while uploads run restores whole: a file written after the
snapshot is simply not in it. The folder is built beside DEST and moved into place whole
(a failed backup leaves nothing); ``manifest.json`` is written last, so a copy of the
folder without it is a backup that did not finish.

``restore`` (:mod:`.restore`) refuses a folder whose manifest is missing or unreadable, a
file whose size or SHA-256 differs from the manifest, a blob whose bytes do not hash to its name, and a
target that is not empty. It then fills the data folder (and the database), opens the
store, re-reads every referenced file against its hash and checks the audit chain and the
record counts, and only then reports success; on any failure what it wrote is removed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from trichometry.errors import TrichometryError
from trichometry.utils.atomic import atomic_directory, atomic_write_text
from trichometry.utils.hashing import sha256_file

FORMAT = "trichometry-backup"
VERSION = 1
MANIFEST = "manifest.json"
COUNTED = ("images", "visit_images", "analyses", "corrections", "hair_reviews", "audit_log", "users")


class BackupError(TrichometryError):
    """A backup that cannot be taken, or a backup folder that must not be restored."""


@dataclass
class BackupReport:
    """What a backup or a restore covered."""

    folder: Path
    database: str
    blobs: int = 0
    bytes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    audit_head: str | None = None


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq arguments for pg_dump / pg_restore (the password travels in the environment)."""
    u = make_url(url)
    env = {**os.environ, "PGPASSWORD": u.password or ""}
    args = ["--host", u.host or "localhost", "--port", str(u.port or 5432), "--username", u.username or "",
            "--dbname", u.database or ""]  # fmt: skip
    options = u.query.get("options")
    if options:  # e.g. a search_path, as the tests use one schema per test
        env["PGOPTIONS"] = str(options)
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> str:
    """Run a PostgreSQL client tool; its standard output, or BackupError with its message."""
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed; install the PostgreSQL client tools to {what}.")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed ({done.returncode}): {done.stderr.strip()[:500]}")
    return done.stdout


def _facts(conn: Any) -> dict[str, Any]:
    """Counts, referenced files, audit head and schema revision, read on one connection
    (inside the snapshot's transaction)."""
    from sqlalchemy import table, text

    from trichometry.store.models import Analysis, AuditEvent, Image

    names = set(inspect(conn).get_table_names())
    counts = {
        t: int(conn.execute(select(func.count()).select_from(table(t))).scalar())
        for t in COUNTED
        if t in names
    }
    files = set(conn.execute(select(Image.sha256)).scalars())
    files |= {h for h in conn.execute(select(Analysis.overlay_sha256)).scalars() if h}
    head = conn.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {"counts": counts, "files": files, "audit_head": head, "schema_revision": revision}


def backup(store: Any, dest: str | Path) -> BackupReport:
    """Write a verified-restorable backup of ``store`` to the new folder ``dest``.

    Raises:
        BackupError: ``dest`` exists, or the database tool fails.
    """
    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} exists; back up into a new folder (a backup never overwrites one).")
    with atomic_directory(dest) as tmp:  # a failed backup leaves nothing at dest
        facts, total = _write_backup(store, tmp)
    kind = store.engine.dialect.name
    return BackupReport(dest, kind, len(facts["files"]), total, facts["counts"], facts["audit_head"])


def _write_backup(store: Any, dest: Path) -> tuple[dict[str, Any], int]:
    """Snapshot, files and manifest into the (new, empty) folder ``dest``; returns what the
    snapshot holds and the bytes of the files copied."""
    kind = store.engine.dialect.name
    # 1. the database snapshot, and what it holds, read inside that snapshot
    if kind == "sqlite":
        from trichometry.store.engine import make_engine

        db_file = dest / "database.sqlite"
        src = sqlite3.connect(store.engine.url.database)
        try:
            dst = sqlite3.connect(db_file)
            with dst:
                src.backup(dst)  # online: consistent while others write
            dst.close()
        finally:
            src.close()
        snap = make_engine(f"sqlite:///{db_file}")
        try:
            with snap.connect() as conn:
                facts = _facts(conn)
        finally:
            snap.dispose()
    else:
        from sqlalchemy import text

        db_file = dest / "database.pgdump"
        url = store.engine.url.render_as_string(hide_password=False)
        args, env = _pg_args(url)
        with (
            store.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            conn.begin(),
        ):
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            facts = _facts(conn)
            _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--schema={schema}",
                  "--file", str(db_file), *args], env, "back up")  # fmt: skip
    # 2. the files the snapshot refers to: they exist (a record commits after its file)
    files: dict[str, dict[str, Any]] = {}
    total = 0
    for sha in sorted(facts["files"]):
        rel = Path("blobs") / sha[:2] / sha
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(store.blobs.path(sha), dest / rel)
        got = sha256_file(dest / rel)
        if got != sha:
            raise BackupError(
                f"stored file {sha[:12]}... does not match its hash; run `trichometry audit verify --files`."
            )
        size = (dest / rel).stat().st_size
        files[str(rel)] = {"sha256": sha, "bytes": size}
        total += size
    files[db_file.name] = {"sha256": sha256_file(db_file), "bytes": db_file.stat().st_size}
    manifest = {
        "format": FORMAT, "version": VERSION, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "database": {"kind": kind, "file": db_file.name, "schema_revision": facts["schema_revision"]},
        "counts": facts["counts"], "audit_head": facts["audit_head"], "files": files,
    }  # fmt: skip
    # last: a copy of the folder without it is a backup that did not finish
    atomic_write_text(dest / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    return facts, total


def read_manifest(src: str | Path) -> dict[str, Any]:
    """The manifest of a finished backup, checked against the files beside it.

    Raises:
        BackupError: no manifest (the backup did not finish), an unreadable one, a missing
            file, or a file whose size or SHA-256 differs (truncated or changed).
    """
    src = Path(src)
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{src} has no {MANIFEST}: the backup did not finish (or this is not a backup folder)."
        )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} cannot be read ({exc}); the backup is damaged.") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != VERSION
    ):
        raise BackupError(f"{path} is not a {FORMAT} manifest of version {VERSION}.")
    for rel, info in manifest["files"].items():
        f = src / rel
        if not f.is_file():
            raise BackupError(f"{rel} is missing from the backup; it cannot be restored whole.")
        if f.stat().st_size != info["bytes"]:
            raise BackupError(
                f"{rel} has {f.stat().st_size} bytes, the manifest {info['bytes']}: truncated or changed."
            )
        if sha256_file(f) != info["sha256"]:
            raise BackupError(f"{rel} does not match its SHA-256 in the manifest: the file was changed.")
        if rel.startswith("blobs/") and Path(rel).name != info["sha256"]:
            raise BackupError(f"{rel} is listed under another hash: the manifest was changed.")
    return manifest
