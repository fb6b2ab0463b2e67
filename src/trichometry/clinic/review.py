"""Reviewing single hairs on a photo: what the page loads and what a save does.

:func:`hairs_for_review` gives the photo's current hairs (the newest reviewed version,
else the detector's) with the version a save must name. :func:`save_review` re-measures
the reviewed list through :func:`trichometry.analyze` with a
:class:`~trichometry.inference.reviewed.ReviewedDetector` (the same reading, quality
check and measurement engine as the detector's analysis) and appends it to the store
(:mod:`trichometry.store.reviews`: a new analysis and a review version, audited, with
optimistic concurrency). Every page, export and report then reads the reviewed
analysis as the photo's newest one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from trichometry.clinic.analysis import AnalysisSettings, record_from_result
from trichometry.errors import DataFormatError
from trichometry.inference.reviewed import ReviewedDetector, hairs_of_document, parse_hairs
from trichometry.store import Analysis, InvalidInput, NotFound, Store, User, VisitImage
from trichometry.store.reviews import REVIEWED

MAX_EDITS = 10_000


def _current(store: Store, actor: User, visit_image_id: int) -> tuple[VisitImage, Analysis, Analysis, int]:
    """``(photo, newest analysis, the detector analysis it goes back to, its version)``."""
    vi = store.get_visit_image(actor, visit_image_id)  # access check
    latest = store.latest_analysis(visit_image_id)
    if latest is None:
        raise NotFound("this photo has no analysis yet: wait for it to finish, then review its hairs.")
    base = store.base_of(latest)
    review = store.review_of(latest.id)
    return vi, latest, base, 0 if review is None else review.version


def _rejected(a: Analysis) -> bool:
    return a.quality == "reject" or a.result.get("status") == "rejected"


def hairs_for_review(store: Store, actor: User, visit_image_id: int) -> dict[str, Any]:
    """The photo's current hairs for the review page (JSON-ready); ``rejected`` says that
    quality control refused the photo (nothing to review: re-take it)."""
    vi, latest, base, version = _current(store, actor, visit_image_id)
    doc = latest.result
    keep = ("hair_id", "x_px", "y_px", "end_x_px", "end_y_px", "thickness_um", "class", "assessable")
    keep += ("same_as", "source")
    history = [
        {"version": r.version, "analysis_id": r.analysis_id, "user_id": r.user_id, "reason": r.reason,
         "at": r.created_at.isoformat(), "edits": len(r.edits)}
        for r in store.reviews_of(base.id)
    ]  # fmt: skip
    return {
        "visit_image_id": visit_image_id,
        "analysis_id": latest.id,
        "base_analysis_id": base.id,
        "version": version,
        "image": {"width": vi.image.width, "height": vi.image.height},
        "rejected": _rejected(latest),
        "um_per_px": doc.get("um_per_px"),
        "hairs": [{k: h.get(k, k == "assessable" or None) for k in keep} for h in doc.get("hairs") or []],
        "history": history,
        "detector": {"analysis_id": base.id, "hair_count": base.result.get("hair_count")},
    }


def save_review(
    store: Store,
    actor: User,
    visit_image_id: int,
    *,
    base_version: int,
    hairs: Any,
    reason: str,
    edits: Any = (),
) -> dict[str, Any]:
    """Re-measure the reviewed hairs and append them as the next version.

    Args:
        base_version: the version the reviewer edited (0: the detector's list).
        hairs: the whole reviewed list (:func:`~trichometry.inference.reviewed.parse_hairs`).
        reason: why (kept in the audit trail).
        edits: what the reviewer did, e.g. ``[{"op": "remove", "hair": 3}]`` (audited).

    Returns:
        The new version as :func:`hairs_for_review` gives it.

    Raises:
        Conflict: someone saved a newer version (nothing is written).
        InvalidInput: a malformed hair list, edit list or base version (nothing is written).
    """
    vi, latest, base, _ = _current(store, actor, visit_image_id)
    store.check_write(actor, vi.visit.subject)  # before any work: a reader gets 403 at once
    if _rejected(latest):
        raise InvalidInput("quality control rejected this photo; re-take it instead of reviewing its hairs.")
    if not isinstance(base_version, int) or isinstance(base_version, bool) or base_version < 0:
        raise InvalidInput(f"base_version must be the version you edited (0, 1, ...), got {base_version!r}.")
    shape = (int(vi.image.height), int(vi.image.width))
    try:
        reviewed = parse_hairs(hairs, shape)
    except DataFormatError as exc:
        raise InvalidInput(str(exc)) from exc
    edits = list(edits or [])
    if len(edits) > MAX_EDITS or not all(isinstance(e, dict) for e in edits):
        example = {"op": "remove", "hair": 3}
        raise InvalidInput(f"edits must be a list of at most {MAX_EDITS} objects like {example}.")
    store.require_review_version(base, base_version)  # a stale version fails before the re-measure
    record = remeasure(store, base, vi, reviewed, latest.result)
    store.save_review(actor, base, base_version, record, [h.to_dict() for h in reviewed], edits, reason)
    return hairs_for_review(store, actor, visit_image_id)


def remeasure(
    store: Store, base: Analysis, vi: VisitImage, hairs: list, previous: dict[str, Any] | None = None
) -> Any:
    """The store record of the photo measured with ``hairs`` (method ``reviewed``, the
    base's model provenance); ``previous`` is the document the hairs were edited from."""
    from trichometry import analyze

    doc = base.result
    convention = (doc.get("convention") or {}).get("name") or "trichoscopy"
    result = analyze(
        store.image_bytes(vi.image.sha256),
        um_per_px=vi.um_per_px,
        model=ReviewedDetector(hairs, doc.get("model") or {}),
        convention=convention,
    )
    method = base.method if base.method != REVIEWED else "model"
    settings = AnalysisSettings(method=method, convention=convention)
    record = record_from_result(result, settings, vi.um_per_px)
    _carry(record.result, hairs, previous if previous is not None else doc)
    return dataclasses.replace(
        record,
        method=REVIEWED,
        model_name=base.model_name,
        model_version=base.model_version,
        weights_sha256=base.weights_sha256,
    )


def check_totals_override(store: Store, actor: User, analysis_id: int, changes: dict[str, Any]) -> None:
    """Refuse a new override of totals for a photo whose hairs are listed: review the
    hairs instead, so every figure follows one list. The quality verdict stays
    correctable; override rows written before stay in force.

    Raises:
        InvalidInput: a numeric override of an analysis that lists hairs.
    """
    analysis = store.get_analysis(actor, analysis_id)
    numeric = sorted(k for k in changes if k != "quality")
    if numeric and analysis.result.get("hairs"):
        raise InvalidInput(
            f"this photo's hairs are listed, so {', '.join(numeric)} cannot be overridden: review the hairs "
            "on the photo page (remove, add, not assessable) and every number follows."
        )


def join_hairs(
    store: Store, actor: User, visit_id: int, *, baseline_hair: int, followup_hair: int, reason: str
) -> dict[str, Any]:
    """Join a lost baseline hair and a new follow-up hair of a visit's comparison into one
    kept hair: the follow-up photo's next reviewed version marks the hair ``same_as`` the
    baseline one, and the matcher pairs them from then on (every figure follows).

    Args:
        baseline_hair, followup_hair: hair numbers as the comparison's per-hair table gives
            them (``/visits/{id}/comparison.csv``: ``visit``, ``hair``).

    Raises:
        NotFound: no comparison for this visit.
        InvalidInput: the hairs are not a lost and a new one of this comparison.
    """
    from trichometry.clinic.comparison import visit_comparison

    m = visit_comparison(store, actor, visit_id).comparison.matchings[0]
    if baseline_hair not in set(m.lost.tolist()) or followup_hair not in set(m.new.tolist()):
        raise InvalidInput(
            f"baseline hair {baseline_hair} must be lost and follow-up hair {followup_hair} new in this "
            "comparison (see its per-hair table); only such a pair can be joined."
        )
    if m.base.sha256 is None or m.follow.sha256 is None:
        raise InvalidInput("these photos carry no SHA-256 in their analyses; analyse them again first.")
    photo = next(
        (vi for vi in store.list_visit_images(actor, visit_id) if vi.image.sha256 == m.follow.sha256), None
    )
    if photo is None:
        raise NotFound("the compared follow-up photo is not one of this visit's photos.")
    _, latest, _, version = _current(store, actor, photo.id)
    hairs = hairs_of_document(latest.result)
    x, y = (float(v) for v in m.base.xy_px[baseline_hair])
    same = {"image_sha256": m.base.sha256, "exit": [x, y]}
    joined = dataclasses.replace(hairs[followup_hair], same_as=same)
    hairs[followup_hair] = joined
    edit = {"op": "join", "hair": joined.origin, "at": [round(x), round(y)]}
    return save_review(
        store, actor, photo.id, base_version=version, hairs=[h.to_dict() for h in hairs],
        reason=reason, edits=[edit],
    )  # fmt: skip


def _carry(doc: dict[str, Any], hairs: list, previous: dict[str, Any]) -> None:
    """Mark each measured hair of ``doc`` with where it came from (``source``: ``detected``,
    or ``reviewed`` for a hair a reviewer added or moved, in this version or an earlier one)
    and with its join (``same_as``), matching reviewed and measured hairs by exit point."""
    before = {h.get("hair_id"): h for h in previous.get("hairs") or []}
    measured = doc.get("hairs") or []
    for h in hairs:
        best = min(
            measured,
            key=lambda d: (d["x_px"] - h.exit_xy[0]) ** 2 + (d["y_px"] - h.exit_xy[1]) ** 2,
            default=None,
        )
        if best is None or abs(best["x_px"] - h.exit_xy[0]) + abs(best["y_px"] - h.exit_xy[1]) >= 1.0:
            continue  # left out by the engine (outside the analysed area)
        old = before.get(h.origin) if h.origin is not None else None
        moved = old is None or abs(old["x_px"] - h.exit_xy[0]) + abs(old["y_px"] - h.exit_xy[1]) > 0.5
        best["source"] = "reviewed" if moved else old.get("source", "detected")
        if h.same_as is not None:
            best["same_as"] = h.same_as


def detector_hairs(store: Store, actor: User, visit_image_id: int) -> list[dict[str, Any]]:
    """The detector's own hairs of the photo (kept whatever the reviews did)."""
    _, _, base, _ = _current(store, actor, visit_image_id)
    return [h.to_dict() for h in hairs_of_document(base.result)]
