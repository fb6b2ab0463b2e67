"""Restoring a backup into an empty place, verified before success (see :mod:`.backup`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from trichometry.errors import ConfigError
from trichometry.store.backup import BackupError, BackupReport, _facts, _pg_args, _run, read_manifest

__all__ = ["restore"]


def restore(src: str | Path, data_dir: str | Path, db_url: str | None = None) -> BackupReport:
    """Restore the backup ``src`` into an empty ``data_dir`` (and an empty database at
    ``db_url``; default SQLite in ``data_dir``), then verify it (see the module docstring).

    Raises:
        BackupError: the backup is unfinished, truncated or changed; the target is not
            empty; or the restored store does not verify (then nothing restored is left).
        ConfigError: the database kinds differ.
    """
    from trichometry.store.engine import make_engine, resolve_db_url
    from trichometry.store.store import Store

    src, data_dir = Path(src), Path(data_dir)
    manifest = read_manifest(src)
    kind = manifest["database"]["kind"]
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty; restore into a new or empty data folder.")
    url = resolve_db_url(db_url, data_dir.resolve())
    target_kind = make_url(url).get_backend_name()
    if target_kind != kind:
        raise ConfigError(f"the backup holds a {kind} database; restore it into {kind}, not {target_kind}.")
    engine = make_engine(url)
    try:
        if set(inspect(engine).get_table_names()) - {"alembic_version"}:
            raise BackupError("the target database is not empty; restore into an empty database (or schema).")
    finally:
        engine.dispose()
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        db_file = src / manifest["database"]["file"]
        if kind == "sqlite":
            shutil.copyfile(db_file, make_url(url).database)
        else:
            _pg_restore(db_file, url, data_dir)
        for rel, info in manifest["files"].items():
            if rel.startswith("blobs/"):
                sha = info["sha256"]
                target = data_dir / "blobs" / "objects" / sha[:2] / sha
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src / rel, target)
                os.chmod(target, 0o444)
        store = Store.open(data_dir, url, migrate=False)
        try:
            report = _verify(store, manifest, data_dir)
        finally:
            store.close()
    except BaseException:
        _undo(data_dir, created, url, kind)
        raise
    return report


def _pg_restore(dump: Path, url: str, work: Path) -> None:
    """pg_restore into the (existing, empty) schema the dump was taken from: its CREATE
    SCHEMA entry is left out, so a schema that exists is filled, not refused."""
    args, env = _pg_args(url)
    listing = _run(["pg_restore", "--list", str(dump)], env, "restore")
    entries = work / ".restore-list"
    entries.write_text("\n".join(line for line in listing.splitlines() if " SCHEMA - " not in line))
    try:
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--use-list", str(entries), *args, str(dump)],
             env, "restore")  # fmt: skip
    finally:
        entries.unlink(missing_ok=True)


def _verify(store: Any, manifest: dict[str, Any], data_dir: Path) -> BackupReport:
    ok, bad = store.verify_audit()
    if not ok:
        raise BackupError(f"the restored audit chain breaks at event {bad}; the backup is not trustworthy.")
    with store.engine.connect() as conn:
        facts = _facts(conn)
    if facts["audit_head"] != manifest.get("audit_head"):
        raise BackupError("the restored audit chain does not end where the backup's did.")
    if facts["counts"] != manifest.get("counts"):
        raise BackupError(
            f"restored record counts {facts['counts']} differ from the backup's {manifest.get('counts')}."
        )
    total = sum(len(store.blobs.read(sha)) for sha in facts["files"])  # each re-hashed on read
    return BackupReport(data_dir, manifest["database"]["kind"], len(facts["files"]), total, facts["counts"],
                        facts["audit_head"])  # fmt: skip


def _undo(data_dir: Path, created: bool, url: str, kind: str) -> None:
    """Remove what a failed restore wrote (the data folder's contents, the database's tables)."""
    if created:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        for p in data_dir.iterdir():
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    if kind == "postgresql":
        from sqlalchemy import MetaData

        from trichometry.store.engine import make_engine

        engine = make_engine(url)
        try:
            meta = MetaData()
            meta.reflect(engine)
            with engine.begin() as conn:
                for t in reversed(meta.sorted_tables):
                    t.drop(conn)
                conn.exec_driver_sql("DROP FUNCTION IF EXISTS trichometry_append_only() CASCADE")
        finally:
            engine.dispose()
