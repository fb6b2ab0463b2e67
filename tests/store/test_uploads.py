from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from trichometry.errors import ImageRejected
from trichometry.store import AccessDenied, NotFound
from trichometry.store.models import AuditEvent, Image, VisitImage
from trichometry.store.uploads import safe_filename

from .conftest import jpeg_bytes, png_bytes


def _visit(world):
    st, doc = world["store"], world["doc_a"]
    subj = st.create_subject(doc, "S-1")
    return st, doc, st.create_visit(doc, subj.id, "2026-03-01", "frontal")


def _count(st, model) -> int:
    with st.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar()


def test_same_bytes_twice_is_one_image(world):
    st, doc, visit = _visit(world)
    data = jpeg_bytes(1)
    vi1, created1 = st.add_image(doc, visit.id, data, "a.jpg")
    vi2, created2 = st.add_image(doc, visit.id, data, "copy-of-a.jpg")
    assert created1 and not created2 and vi1.id == vi2.id
    other = st.create_visit(doc, visit.subject_id, "2026-04-01", "frontal")
    vi3, created3 = st.add_image(doc, other.id, data, "a.jpg")
    assert created3 and vi3.image_id == vi1.image_id
    assert _count(st, Image) == 1 and _count(st, VisitImage) == 2
    assert st.blobs.all_hashes() == {vi1.image.sha256}
    assert st.image_bytes(vi1.image.sha256) == data


def test_concurrent_same_bytes_give_one_image(world):
    st, doc, visit = _visit(world)
    data = png_bytes(7)
    errors: list[BaseException] = []

    def upload():
        try:
            st.add_image(doc, visit.id, data, "same.png")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _count(st, Image) == 1 and _count(st, VisitImage) == 1
    assert len(st.blobs.all_hashes()) == 1 and not st.blobs.stray_temporaries()


def test_failure_half_way_leaves_no_record_and_no_file(world, monkeypatch):
    st, doc, visit = _visit(world)
    events_before = _count(st, AuditEvent)
    import trichometry.store.uploads as uploads

    def boom(*_a, **_k):
        raise RuntimeError("disk full while writing the audit event")

    monkeypatch.setattr(uploads.audit, "record", boom)
    with pytest.raises(RuntimeError):
        st.add_image(doc, visit.id, png_bytes(3), "x.png")
    monkeypatch.undo()
    assert _count(st, Image) == 0 and _count(st, VisitImage) == 0
    assert _count(st, AuditEvent) == events_before
    assert st.blobs.all_hashes() == set() and st.blobs.stray_temporaries() == []


def test_failure_keeps_file_of_an_existing_image(world, monkeypatch):
    st, doc, visit = _visit(world)
    data = png_bytes(4)
    st.add_image(doc, visit.id, data, "x.png")
    other = st.create_visit(doc, visit.subject_id, "2026-05-01", "frontal")
    import trichometry.store.uploads as uploads

    monkeypatch.setattr(uploads.audit, "record", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
    with pytest.raises(RuntimeError):
        st.add_image(doc, other.id, data, "x.png")
    monkeypatch.undo()
    assert len(st.blobs.all_hashes()) == 1  # the committed image keeps its file
    assert st.image_bytes(next(iter(st.blobs.all_hashes()))) == data


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # validation only: one back end
@pytest.mark.parametrize(
    "data",
    [b"", b"hello, not an image", b"<html><script>alert(1)</script></html>", png_bytes(5)[:200]],
    ids=["empty", "text", "html", "truncated-png"],
)
def test_bad_bytes_are_rejected_and_nothing_stored(world, data):
    st, doc, visit = _visit(world)
    with pytest.raises(ImageRejected):
        st.add_image(doc, visit.id, data, "x.jpg")
    assert _count(st, Image) == 0 and st.blobs.all_hashes() == set() and not st.blobs.stray_temporaries()


def test_wrong_visit_and_other_site(world):
    st, doc, visit = _visit(world)
    with pytest.raises(NotFound):
        st.add_image(doc, 999_999, png_bytes(1), "x.png")
    with pytest.raises(AccessDenied):
        st.add_image(world["doc_b"], visit.id, png_bytes(1), "x.png")
    with pytest.raises(AccessDenied):
        st.add_image(world["coord"], visit.id, png_bytes(1), "x.png")
    assert _count(st, Image) == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/abs/path/p.jpg", "p.jpg"),
        ("a\x00b.jpg", "ab.jpg"),
        ("..", "upload"),
    ],
)
def test_hostile_file_names_are_flattened(name, expected):
    assert safe_filename(name) == expected
    assert "/" not in safe_filename("x" * 500 + "/y.jpg") and len(safe_filename("x" * 500)) <= 120
