"""The picture and per-hair table behind a follow-up visit's hair-to-hair change.

The comparison is the same one the headline change uses
(:func:`trichometry.reports.matched.compare_with_baseline`, cached by its inputs), so the
picture always shows the figure printed beside it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from trichometry.clinic.course import subject_course
from trichometry.errors import TrichometryError
from trichometry.reports.matched import Compared, compare_with_baseline
from trichometry.reports.store_source import StoreSource
from trichometry.store import NotFound, Store, User

PER_HAIR_COLUMNS = ("visit", "hair", "x_px", "y_px", "diameter_um", "fate", "rescued")


def visit_comparison(store: Store, actor: User, visit_id: int) -> Compared:
    """The hair-to-hair comparison of an analysed follow-up visit with its baseline.

    Raises:
        NotFound: the visit is the baseline, not analysed for a window, or could not be
            compared (the message says why).
    """
    visit = store.get_visit(actor, visit_id)
    course = subject_course(store, actor, visit.subject_id)
    row = next(r for r in course.rows if r.visit.id == visit.id)
    if row.headline is None:  # the baseline, unanalysed, or not the visit analysed for its window
        raise NotFound(
            "no hair-to-hair comparison for this visit: it is the baseline, has no analysed photo, "
            "or is not the visit analysed for its window." + (f" {course.note}" if course.note else "")
        )
    base = next(r for r in course.rows if r.is_baseline and r.visit.target_site == visit.target_site)
    assert base.observation is not None and row.observation is not None
    source = StoreSource(store, actor, subject_ids=[visit.subject_id])
    got = compare_with_baseline(base.observation, row.observation, source.load_image)
    if isinstance(got, str):
        raise NotFound(f"no hair-to-hair comparison for this visit: {got}")
    return got


def comparison_png(compared: Compared, title: str = "") -> bytes:
    """The registered side-by-side overlay: kept, lost, new and rescued hairs, legend below the photos."""
    from trichometry.visits.overlay import render_overlay

    m = compared.comparison.matchings[0]
    base_img = m.base.image if m.base.image is not None else compared.baseline.photos[0].image
    foll_img = m.follow.image if m.follow.image is not None else compared.followup.photos[0].image
    if base_img is None or foll_img is None:
        raise TrichometryError("the comparison has no photos to draw on")
    return render_overlay(m, base_img, foll_img, title=title)


def per_hair_rows(compared: Compared) -> list[dict[str, Any]]:
    """One row per hair of either visit: position, diameter, fate (kept/lost/new/...), rescued."""
    from trichometry.visits.overlay import comparison_record

    m = compared.comparison.matchings[0]
    rec = comparison_record(m, compared.comparison.change)
    rows = []
    for visit in ("baseline", "followup"):
        for i, h in enumerate(rec[f"{visit}_hairs"]):
            rows.append({"visit": visit, "hair": i, **{k: h[k] for k in PER_HAIR_COLUMNS[2:]}})
    return rows


def per_hair_csv(compared: Compared) -> bytes:
    """:func:`per_hair_rows` as CSV bytes (numbers only, so nothing to neutralise but the header)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=PER_HAIR_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(per_hair_rows(compared))
    return buf.getvalue().encode("utf-8")
