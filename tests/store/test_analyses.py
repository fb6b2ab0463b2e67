from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from trichometry.store import AnalysisRecord, AppendOnlyViolation, InvalidInput

from .conftest import png_bytes


def _record(count: int = 10) -> AnalysisRecord:
    return AnalysisRecord(
        method="classical",
        model_name="test-analyser",
        model_version="1",
        weights_sha256="0" * 64,
        code_version="test",
        config_hash="1" * 64,
        quality="ok",
        summary={"count": count, "density_per_cm2": 200.0},
        result={"hairs": [], "count": count},
        overlay_png=png_bytes(99),
    )


def _analysis(world):
    st, doc = world["store"], world["doc_a"]
    subj = st.create_subject(doc, "S-1")
    visit = st.create_visit(doc, subj.id, "2026-03-01", "frontal")
    vi, _ = st.add_image(doc, visit.id, png_bytes(1), "a.png")
    return st, doc, vi, st.add_analysis(vi.id, _record(), actor=doc)


def test_analysis_keeps_provenance(world):
    st, _doc, vi, a = _analysis(world)
    got = st.get_analysis(None, a.id)
    assert got.image_sha256 == vi.image.sha256
    assert (got.method, got.model_name, got.weights_sha256, got.config_hash) == (
        "classical",
        "test-analyser",
        "0" * 64,
        "1" * 64,
    )
    assert got.result == {"hairs": [], "count": 10}
    assert got.created_at.tzinfo is not None
    assert st.blobs.read(got.overlay_sha256) == png_bytes(99)


def test_library_refuses_update_and_delete(world):
    st, _doc, _vi, a = _analysis(world)
    with pytest.raises(AppendOnlyViolation):
        st.update_analysis(a.id, quality="bad")
    with pytest.raises(AppendOnlyViolation):
        st.delete_analysis(a.id)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE analyses SET quality = 'tampered'",
        "DELETE FROM analyses",
        "UPDATE corrections SET reason = 'x'",
        "DELETE FROM audit_log",
        "UPDATE images SET width = 1",
    ],
)
def test_database_triggers_refuse_raw_sql(world, sql):
    st, doc, _vi, a = _analysis(world)
    st.correct_analysis(doc, a.id, {"count": 11}, "recounted")
    with pytest.raises(DBAPIError, match="append-only"), st.engine.begin() as conn:
        conn.execute(text(sql))
    assert st.get_analysis(None, a.id).quality == "ok"


def test_postgresql_refuses_truncate(world):
    st = world["store"]
    if st.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL only")
    _analysis(world)
    with pytest.raises(DBAPIError, match="append-only"), st.engine.begin() as conn:
        conn.execute(text("TRUNCATE analyses CASCADE"))


def test_correction_is_a_new_linked_row(world):
    st, doc, vi, a = _analysis(world)
    st.correct_analysis(doc, a.id, {"count": 12}, "recounted by hand")
    st.correct_analysis(doc, a.id, {"count": 13, "quality": "warn"}, "second look")
    summary = st.effective_summary(st.get_analysis(None, a.id))
    assert summary["count"] == 13 and summary["quality"] == "warn" and summary["corrected"]
    assert summary["density_per_cm2"] == 200.0
    assert st.get_analysis(None, a.id).summary["count"] == 10  # original untouched
    corr = st.corrections_of(a.id)
    assert [c.user_id for c in corr] == [doc.id, doc.id] and corr[0].reason == "recounted by hand"
    # a re-analysis appends, never replaces
    b = st.add_analysis(vi.id, _record(20))
    assert [x.id for x in st.analyses_of(vi.id)] == [a.id, b.id]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # validation only: one back end
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"count": 5}, ""),
        ({}, "why"),
        ({"hairs": 1}, "why"),
        ({"count": -1}, "why"),
        ({"vellus_share": "x"}, "w"),
    ],
)
def test_bad_corrections_are_refused(world, changes, reason):
    st, doc, _vi, a = _analysis(world)
    with pytest.raises(InvalidInput):
        st.correct_analysis(doc, a.id, changes, reason)
    assert st.corrections_of(a.id) == []


def test_coordinator_cannot_correct(world):
    from trichometry.store import AccessDenied

    st, _doc, _vi, a = _analysis(world)
    with pytest.raises(AccessDenied):
        st.correct_analysis(world["coord"], a.id, {"count": 1}, "no")
