"""Backup and restore (issue 28): a backup taken while uploads run restores whole into an
empty place, every file's SHA-256 and the audit chain verify, and a truncated, changed or
unfinished backup is refused with the reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import shutil
import threading

import pytest

from trichometry.store import AnalysisRecord, Store
from trichometry.store.backup import BackupError, backup, read_manifest
from trichometry.store.restore import restore

from .conftest import PG_ENV, png_bytes


def _fill(st: Store, n: int = 4):
    admin = st.create_user("admin", "admin-password", "admin")
    st.create_site("A", "Site A", actor=admin)
    visit = st.create_visit(admin, st.create_subject(admin, "S-B", "A").id, "2026-01-05", "frontal")
    for k in range(n):
        vi, _ = st.add_image(admin, visit.id, png_bytes(100 + k), f"p{k}.png", um_per_px=3.0)
        rec = AnalysisRecord("classical", "t", "1", "-", "t", "0" * 64, "ok", {"count": k}, {"hairs": []},
                             overlay_png=png_bytes(200 + k))  # fmt: skip
        a = st.add_analysis(vi.id, rec, actor=admin)
        if k % 2:
            st.correct_analysis(admin, a.id, {"count": k + 1}, "recounted")
    return admin, visit


def _empty_target(st: Store, tmp_path):
    """An empty place to restore into: a new data folder and, on PostgreSQL, the same schema
    emptied (a dump restores into the schema it was taken from)."""
    url = st.engine.url.render_as_string(hide_password=False)
    if st.engine.dialect.name == "sqlite":
        return tmp_path / "restored", None
    from sqlalchemy import create_engine, text

    schema = url.split("search_path%3D")[1].split("&")[0]
    st.close()
    admin = create_engine(os.environ[PG_ENV])
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return tmp_path / "restored", url


def test_a_backup_taken_during_uploads_restores_whole_and_verifies(store, tmp_path):
    admin, visit = _fill(store)
    stop = threading.Event()
    written: list[int] = []

    def upload() -> None:
        k = 0
        while not stop.is_set():
            vi, _ = store.add_image(admin, visit.id, png_bytes(1000 + k), f"live{k}.png", um_per_px=3.0)
            written.append(vi.id)
            k += 1

    writer = threading.Thread(target=upload)
    writer.start()
    try:
        report = backup(store, tmp_path / "bk")
    finally:
        stop.set()
        writer.join()
    assert written, "no upload ran during the backup"
    manifest = read_manifest(tmp_path / "bk")
    assert manifest["counts"]["visit_images"] >= 4 and report.blobs == len(
        [f for f in manifest["files"] if f.startswith("blobs/")]
    )
    target, url = _empty_target(store, tmp_path)
    restored = restore(tmp_path / "bk", target, url)
    assert restored.counts == manifest["counts"] and restored.audit_head == manifest["audit_head"]
    again = Store.open(target, url, migrate=False)
    try:
        assert again.verify_audit() == (True, None)
        assert again.orphan_files() == set()
    finally:
        again.close()


def test_truncated_changed_and_unfinished_backups_are_refused(store, tmp_path):
    _fill(store, n=2)
    backup(store, tmp_path / "bk")
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    db_file = manifest["database"]["file"]
    blob = next(f for f in manifest["files"] if f.startswith("blobs/"))

    truncated = shutil.copytree(tmp_path / "bk", tmp_path / "truncated")
    with open(truncated / db_file, "r+b") as fh:
        fh.truncate(100)
    with pytest.raises(BackupError, match="truncated"):
        restore(truncated, tmp_path / "r1")
    changed = shutil.copytree(tmp_path / "bk", tmp_path / "changed")
    os.chmod(changed / blob, 0o644)
    data = bytearray((changed / blob).read_bytes())
    data[-1] ^= 0xFF
    (changed / blob).write_bytes(bytes(data))
    with pytest.raises(BackupError, match="was changed"):
        restore(changed, tmp_path / "r2")
    unfinished = shutil.copytree(tmp_path / "bk", tmp_path / "unfinished")
    (unfinished / "manifest.json").unlink()
    with pytest.raises(BackupError, match="did not finish"):
        restore(unfinished, tmp_path / "r3")
    assert not any((tmp_path / r).exists() for r in ("r1", "r2", "r3"))  # nothing half-restored
    with pytest.raises(BackupError, match="exists"):
        backup(store, tmp_path / "bk")  # never over an earlier backup


def test_restore_refuses_a_place_that_is_not_empty(tmp_path):
    st = Store.open(tmp_path / "data")
    _fill(st, n=1)
    backup(st, tmp_path / "bk")
    st.close()
    with pytest.raises(BackupError, match="not empty"):
        restore(tmp_path / "bk", tmp_path / "data")
