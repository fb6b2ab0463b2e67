from __future__ import annotations

import pytest

from trichometry.store import AccessDenied, Conflict, InvalidInput, NotFound


def test_clinician_sees_only_own_site(world):
    st = world["store"]
    a = st.create_subject(world["doc_a"], "S-A")
    b = st.create_subject(world["doc_b"], "S-B")
    assert [s.code for s in st.list_subjects(world["doc_a"])] == ["S-A"]
    assert [s.code for s in st.list_subjects(world["coord"])] == ["S-A", "S-B"]
    assert [s.code for s in st.list_subjects(world["admin"])] == ["S-A", "S-B"]
    with pytest.raises(AccessDenied):
        st.get_subject(world["doc_a"], b.id)
    with pytest.raises(AccessDenied):
        st.create_visit(world["doc_b"], a.id, "2026-01-01", "frontal")
    assert st.get_subject(world["coord"], "S-A").id == a.id


def test_coordinator_writes_nothing(world):
    st = world["store"]
    subj = st.create_subject(world["doc_a"], "S-A")
    with pytest.raises(AccessDenied):
        st.create_subject(world["coord"], "S-C", "A")
    with pytest.raises(AccessDenied):
        st.create_visit(world["coord"], subj.id, "2026-01-01", "frontal")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # validation only: one back end
@pytest.mark.parametrize("code", ["", "John Smith", "a/b", "x" * 40, "-lead"])
def test_subject_codes_are_pseudonyms(world, code):
    with pytest.raises(InvalidInput):
        world["store"].create_subject(world["doc_a"], code)


def test_duplicates_and_missing(world):
    st = world["store"]
    subj = st.create_subject(world["doc_a"], "S-A")
    with pytest.raises(Conflict):
        st.create_subject(world["doc_a"], "S-A")
    with pytest.raises(NotFound):
        st.get_visit(world["doc_a"], 12345)
    with pytest.raises(InvalidInput):
        st.create_visit(world["doc_a"], subj.id, "01/02/2026", "frontal")
    v1 = st.create_visit(world["doc_a"], subj.id, "2026-03-01", "frontal", arm="active")
    v0 = st.create_visit(world["doc_a"], subj.id, "2026-01-01", "frontal")
    assert [v.id for v in st.list_visits(world["doc_a"], subj.id)] == [v0.id, v1.id]
    assert st.find_visit(world["doc_a"], subj.id, "2026-03-01").arm == "active"
    ts = st.add_treatment_session(world["doc_a"], subj.id, "2026-01-15", "PRP")
    assert st.list_treatment_sessions(world["doc_a"], subj.id)[0].id == ts.id


def test_authentication(world):
    st = world["store"]
    assert st.authenticate("doc_a", "password-a-123").id == world["doc_a"].id
    with pytest.raises(AccessDenied):
        st.authenticate("nobody", "password-a-123")
    with pytest.raises(InvalidInput):
        st.create_user("weak", "short", "admin")
    with pytest.raises(InvalidInput):
        st.create_user("nosite", "long-enough-pw", "clinician")
    with pytest.raises(AccessDenied):
        st.create_user("x", "long-enough-pw", "admin", actor=world["doc_a"])


def test_first_admin_from_env(store, monkeypatch):
    monkeypatch.setenv("TRICHOMETRY_ADMIN_PASSWORD", "from-the-env-123")
    admin, shown = store.ensure_admin()
    assert shown is None and store.authenticate("admin", "from-the-env-123").id == admin.id
    again, shown2 = store.ensure_admin()
    assert again.id == admin.id and shown2 is None
