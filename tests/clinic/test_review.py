"""Reviewing a photo's hairs: a save is a new version measured by the same engine, the
detector's list stays, the audit names each edit, and two reviewers editing one version
get one save and one conflict (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from trichometry.clinic.analysis import AnalysisSettings, default_analyser
from trichometry.clinic.review import detector_hairs, hairs_for_review, save_review
from trichometry.store import Conflict, InvalidInput
from trichometry.synth import generate_sample
from trichometry.utils.encoding import encode_png

from ..store.conftest import (  # noqa: F401  (fixtures)
    fast_password_hashing,
    sqlite_template,
    store,
    world,
)

UM = 3.0


@pytest.fixture(scope="module")
def photo():
    sample = generate_sample(11, width=480, height=384, um_per_px=UM)
    data = encode_png(sample.image)
    return data, default_analyser(data, UM, AnalysisSettings(method="classical"))


@pytest.fixture
def reviewed(world, photo):  # noqa: F811
    st, doc = world["store"], world["doc_a"]
    subj = st.create_subject(doc, "S-1")
    visit = st.create_visit(doc, subj.id, "2026-03-01", "frontal")
    vi, _ = st.add_image(doc, visit.id, photo[0], "a.png", um_per_px=UM)
    st.add_analysis(vi.id, photo[1], actor=doc)
    return st, doc, vi


def world_admin(st):
    return st.active_user("admin")


def _edit(current: dict) -> tuple[list[dict], list[dict]]:
    """Remove the first hair, add one across the photo's corner."""
    hairs = [
        {"exit": [h["x_px"], h["y_px"]], "end": [h["end_x_px"], h["end_y_px"]], "origin": h["hair_id"]}
        for h in current["hairs"][1:]
    ]
    hairs.append({"exit": [40.0, 40.0], "end": [90.0, 20.0], "origin": None})
    edits = [{"op": "remove", "hair": current["hairs"][0]["hair_id"]}, {"op": "add", "at": [40, 40]}]
    return hairs, edits


def test_a_save_is_a_new_version_and_every_number_follows(reviewed):
    st, doc, vi = reviewed
    before = hairs_for_review(st, doc, vi.id)
    assert before["version"] == 0 and len(before["hairs"]) >= 2
    hairs, edits = _edit(before)
    after = save_review(st, doc, vi.id, base_version=0, hairs=hairs, reason="fleck, missed hair", edits=edits)
    assert after["version"] == 1
    assert len(after["hairs"]) == len(before["hairs"])  # one removed, one added
    latest = st.latest_analysis(vi.id)
    assert latest.method == "reviewed" and latest.id == after["analysis_id"]
    summary = st.effective_summary(latest)
    assert summary["count"] == len(hairs)
    added = [h for h in latest.result["hairs"] if abs(h["x_px"] - 40) < 1 and abs(h["y_px"] - 40) < 1]
    assert len(added) == 1 and added[0]["source"] == "reviewed"
    assert {h["source"] for h in latest.result["hairs"]} == {"detected", "reviewed"}
    assert sum(h["source"] == "reviewed" for h in latest.result["hairs"]) == 1
    # the detector's own list is still there, unchanged
    assert len(detector_hairs(st, doc, vi.id)) == len(before["hairs"])
    assert st.get_analysis(None, before["analysis_id"]).method == "classical"
    # the audit trail names both edits and the reason
    events = [e for e in st.audit_events(world_admin(st)) if e["action"] == "hairs.review"]
    assert len(events) == 1 and events[0]["user"] == "doc_a"
    assert "remove hair" in events[0]["detail"] and "add at (40, 40)" in events[0]["detail"]
    assert "fleck" in events[0]["detail"]
    assert st.verify_audit()[0]


def test_two_reviewers_on_one_version_get_one_save_and_one_conflict(reviewed):
    st, doc, vi = reviewed
    start = hairs_for_review(st, doc, vi.id)
    hairs, edits = _edit(start)
    save_review(st, doc, vi.id, base_version=0, hairs=hairs, reason="first reviewer", edits=edits)
    with pytest.raises(Conflict, match=r"version 0.*saved version 1"):
        save_review(st, doc, vi.id, base_version=0, hairs=hairs[:1], reason="second reviewer")
    now = hairs_for_review(st, doc, vi.id)
    assert now["version"] == 1 and len(now["hairs"]) == len(hairs)  # nothing of the second was written
    assert [r.reason for r in st.reviews_of(start["analysis_id"])] == ["first reviewer"]
    # the second reviewer reloads and saves on top
    again = save_review(st, doc, vi.id, base_version=1, hairs=hairs[:1], reason="second reviewer")
    assert again["version"] == 2 and len(again["hairs"]) == 1


@pytest.mark.parametrize(
    ("hairs", "message"),
    [
        ("not a list", "must be a list"),
        ([{"exit": [1, 1]}], "needs 'exit' and 'end'"),
        ([{"exit": [1, 1], "end": [1, 1.5]}], "at least 2 px"),
        ([{"exit": [1, 1], "end": [9999, 5]}], "outside"),
        ([{"exit": [1, 1], "end": [30, 5], "assessable": "no"}], "true or false"),
    ],
)
def test_bad_hair_lists_are_refused_and_nothing_is_written(reviewed, hairs, message):
    st, doc, vi = reviewed
    with pytest.raises(InvalidInput, match=message):
        save_review(st, doc, vi.id, base_version=0, hairs=hairs, reason="x")
    with pytest.raises(InvalidInput, match="reason"):
        save_review(st, doc, vi.id, base_version=0, hairs=[], reason="  ")
    assert hairs_for_review(st, doc, vi.id)["version"] == 0
    assert st.latest_analysis(vi.id).method == "classical"


def test_a_hair_marked_not_assessable_is_counted_without_a_width(reviewed):
    st, doc, vi = reviewed
    start = hairs_for_review(st, doc, vi.id)
    hairs = [
        {"exit": [h["x_px"], h["y_px"]], "end": [h["end_x_px"], h["end_y_px"]], "origin": h["hair_id"],
         "assessable": i != 0}
        for i, h in enumerate(start["hairs"])
    ]  # fmt: skip
    after = save_review(st, doc, vi.id, base_version=0, hairs=hairs, reason="blurred shaft")
    assert len(after["hairs"]) == len(hairs)
    flagged = [h for h in after["hairs"] if not h["assessable"]]
    assert len(flagged) == 1 and flagged[0]["thickness_um"] is None
    assert st.latest_analysis(vi.id).result["summary"]["thickness_measured"] <= len(hairs) - 1


def test_totals_of_a_photo_with_hairs_are_reviewed_not_overridden(reviewed):
    from trichometry.clinic.review import check_totals_override

    st, doc, vi = reviewed
    a = st.latest_analysis(vi.id)
    with pytest.raises(InvalidInput, match="review the hairs"):
        check_totals_override(st, doc, a.id, {"count": 3})
    check_totals_override(st, doc, a.id, {"quality": "warn"})  # the verdict stays correctable


@pytest.fixture
def two_visits(world):  # noqa: F811
    from trichometry.synth import generate_sample as gen

    st, doc = world["store"], world["doc_a"]
    subj = st.create_subject(doc, "S-J")
    big = gen(11, width=430, height=350, um_per_px=8.0).image
    ids = []
    for day, pixels in (("2026-01-05", big[0:320, 0:400]), ("2026-04-06", big[11:331, 9:409])):
        visit = st.create_visit(doc, subj.id, day, "frontal")
        data = encode_png(pixels)
        vi, _ = st.add_image(doc, visit.id, data, f"{day}.png", um_per_px=8.0)
        st.add_analysis(vi.id, default_analyser(data, 8.0, AnalysisSettings(method="classical")), actor=doc)
        ids.append((visit.id, vi.id))
    return st, doc, subj, ids


def test_a_joined_lost_and_new_pair_is_one_kept_hair_everywhere(two_visits):
    from trichometry.clinic.comparison import visit_comparison
    from trichometry.clinic.course import subject_course
    from trichometry.clinic.review import join_hairs

    st, doc, subj, ((_, _), (visit_id, photo_id)) = two_visits
    m = visit_comparison(st, doc, visit_id).comparison.matchings[0]
    assert m.matched >= 2
    i, j = (int(v) for v in m.pairs[0])
    # the reviewer moves one matched follow-up hair's exit 60 px away: now one lost, one new
    now = hairs_for_review(st, doc, photo_id)
    hairs = [{"exit": [h["x_px"], h["y_px"]], "end": [h["end_x_px"], h["end_y_px"]], "origin": h["hair_id"]}
             for h in now["hairs"]]  # fmt: skip
    x, y = hairs[j]["exit"]
    hairs[j]["exit"] = [x + 60.0 if x < 200 else x - 60.0, y]
    save_review(st, doc, photo_id, base_version=0, hairs=hairs, reason="moved an exit")
    moved = visit_comparison(st, doc, visit_id).comparison.matchings[0]
    assert moved.matched == m.matched - 1 and i in moved.lost and j in moved.new
    with pytest.raises(InvalidInput, match="lost"):
        join_hairs(st, doc, visit_id, baseline_hair=int(moved.pairs[0][0]), followup_hair=j, reason="x")
    after = join_hairs(st, doc, visit_id, baseline_hair=i, followup_hair=j, reason="the same hair")
    assert after["version"] == 2
    joined = visit_comparison(st, doc, visit_id).comparison.matchings[0]
    assert joined.matched == m.matched and i not in joined.lost and j not in joined.new
    head = subject_course(st, doc, subj.id).headlines[0]
    assert head.matched is not None and head.matched.matched == m.matched
    assert head.matched.lost == len(joined.lost) and head.matched.new == len(joined.new)
    events = [e for e in st.audit_events(world_admin(st)) if e["action"] == "hairs.review"]
    assert "join hair" in events[0]["detail"]  # newest first
