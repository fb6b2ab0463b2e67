from __future__ import annotations

import pytest
from sqlalchemy import select, text

from trichometry.store import AccessDenied
from trichometry.store.models import AuditEvent


def test_actions_are_audited_with_user_and_utc_time(world):
    st, doc = world["store"], world["doc_a"]
    subj = st.create_subject(doc, "S-9")
    with st.session() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "subject.create")).scalar_one()
    assert ev.username == "doc_a" and ev.target == f"subject:{subj.id}"
    assert ev.at.utcoffset().total_seconds() == 0
    assert st.verify_audit() == (True, None)


def test_denials_and_failed_logins_are_audited(world):
    st = world["store"]
    subj = st.create_subject(world["doc_a"], "S-9")
    with pytest.raises(AccessDenied):
        st.get_subject(world["doc_b"], subj.id)
    with pytest.raises(AccessDenied):
        st.authenticate("doc_a", "wrong-password")
    with st.session() as s:
        actions = [e.action for e in s.execute(select(AuditEvent)).scalars()]
    assert "denied" in actions and "login.failed" in actions


def test_chain_breaks_after_raw_edit_sqlite(tmp_path):
    from trichometry.store import Store

    st = Store.open(tmp_path / "d")
    admin = st.create_user("admin", "admin-password", "admin")
    st.create_site("A", "A", actor=admin)
    st.create_site("B", "B", actor=admin)
    assert st.verify_audit() == (True, None)
    with st.engine.begin() as conn:  # a person with the DB file drops the trigger and edits
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET detail = 'C' WHERE action = 'site.create' AND detail = 'B'"))
    ok, bad = st.verify_audit()
    assert not ok and bad is not None
