"""``trichometry audit verify``: passes on an intact store, fails after any raw edit."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner
from hardening_samples import png_bytes

from trichometry.cli.main import cli
from trichometry.store import Store


def _store(tmp_path):
    data = tmp_path / "data"
    st = Store.open(data)
    admin = st.create_user("admin", "admin-password", "admin")
    st.create_site("A", "A", actor=admin)
    subj = st.create_subject(admin, "S-1", "A")
    visit = st.create_visit(admin, subj.id, "2026-01-01", "frontal")
    st.add_image(admin, visit.id, png_bytes(1), "a.png")
    st.add_image(admin, visit.id, png_bytes(2), "b.png")
    st.close()
    return data


def _verify(data, *extra):
    return CliRunner().invoke(cli, ["audit", "verify", "--data", str(data), *extra])


def _raw(data, *sql):
    con = sqlite3.connect(data / "trichometry.sqlite")
    with con:
        for q in sql:
            con.execute(q)
    con.close()


def test_intact_store_verifies_and_prints_head(tmp_path):
    data = _store(tmp_path)
    r = _verify(data, "--files")
    assert r.exit_code == 0, r.output
    assert "audit chain ok" in r.output and "files ok: 2 stored files" in r.output


def test_raw_edit_in_the_middle_fails(tmp_path):
    data = _store(tmp_path)
    _raw(data, "DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET detail = 'x' WHERE id = 2")
    r = _verify(data)
    assert r.exit_code != 0 and "event 2 does not match" in r.output


def test_deleted_newest_events_fail_against_noted_head(tmp_path):
    data = _store(tmp_path)
    head = _verify(data).output.split("head ")[1].split()[0]
    _raw(
        data,
        "DROP TRIGGER audit_log_no_delete",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    )
    assert _verify(data).exit_code == 0  # a shortened chain is still a valid chain ...
    r = _verify(data, "--expect-head", head)
    assert r.exit_code != 0 and "no longer in the chain" in r.output  # ... but not the one noted


def test_triggers_refuse_raw_update_and_delete(tmp_path):
    data = _store(tmp_path)
    for q in ("UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"):
        con = sqlite3.connect(data / "trichometry.sqlite")
        try:
            con.execute(q)
            con.commit()
            raised = False
        except sqlite3.DatabaseError:
            raised = True
        con.close()
        assert raised, q
    assert _verify(data).exit_code == 0


def test_changed_file_on_disk_fails_with_files(tmp_path):
    data = _store(tmp_path)
    victim = sorted((data / "blobs" / "objects").glob("??/*"))[0]
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes() + b"x")
    assert _verify(data).exit_code == 0
    r = _verify(data, "--files")
    assert r.exit_code != 0 and "no longer matches" in r.output


def test_sweep_removes_strays_but_nothing_referenced(tmp_path):
    data = _store(tmp_path)
    (data / "blobs" / "tmp" / "upload.x.tmp").write_bytes(b"half an upload")
    orphan = data / "blobs" / "objects" / "ab" / ("ab" * 32)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"placed, never committed")
    runner = CliRunner()
    r = runner.invoke(cli, ["audit", "sweep", "--data", str(data)])
    assert r.exit_code == 0 and "removed 0 stray temporaries and 0 unreferenced" in r.output  # too young
    r = runner.invoke(cli, ["audit", "sweep", "--data", str(data), "--min-age-s", "0", "--dry-run"])
    assert "would remove 1 stray temporaries and 1 unreferenced" in r.output and orphan.exists()
    r = runner.invoke(cli, ["audit", "sweep", "--data", str(data), "--min-age-s", "0"])
    assert "removed 1 stray temporaries and 1 unreferenced" in r.output and not orphan.exists()
    assert _verify(data, "--files").exit_code == 0  # every referenced file is still there
