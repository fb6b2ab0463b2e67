"""A subject's course over visits: per-visit numbers, change since baseline, matched hairs.

Per visit, the numbers are the mean over its photos of each photo's newest analysis
(with corrections applied); photos whose quality verdict is ``reject`` are left out.
The baseline is the earliest visit with numbers; follow-ups are put into the project's
visit windows (2 weeks, 1/3/6 months) by :func:`trichometry.visits.assign_window`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import TrichometryError
from trichometry.store import Store
from trichometry.store.images import decode_rgb
from trichometry.store.models import Analysis, User, Visit

log = logging.getLogger(__name__)

METRICS: dict[str, tuple[str, str]] = {
    "density_per_cm2": ("Density", "hairs/cm²"),
    "nonvellus_density_per_cm2": ("Non-vellus density", "hairs/cm²"),
    "mean_thickness_um": ("Mean thickness", "µm"),
    "vellus_share": ("Vellus share", "fraction"),
}


@dataclass
class VisitRow:
    """One visit on the timeline."""

    visit: Visit
    day: int | None = None
    window: str | None = None
    photos: int = 0
    analysed: int = 0
    values: dict[str, float | None] = field(default_factory=dict)
    change: dict[str, float | None] = field(default_factory=dict)
    change_pct: dict[str, float | None] = field(default_factory=dict)
    analyses: list[Analysis] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        v = self.visit
        return {
            "visit_id": v.id,
            "date": v.visit_date.isoformat(),
            "target_site": v.target_site,
            "arm": v.arm,
            "day": self.day,
            "window": self.window,
            "photos": self.photos,
            "analysed": self.analysed,
            "values": self.values,
            "change_since_baseline": self.change,
            "change_since_baseline_pct": self.change_pct,
        }


def _mean(values: list[Any]) -> float | None:
    nums = [float(v) for v in values if v is not None]
    return float(np.mean(nums)) if nums else None


def subject_timeline(store: Store, actor: User, subject_id: int) -> list[VisitRow]:
    """Rows for the subject's visits, oldest first, with change since baseline."""
    from trichometry.visits import assign_window, days_since

    rows: list[VisitRow] = []
    for visit in store.list_visits(actor, subject_id):
        row = VisitRow(visit=visit)
        summaries = []
        for vi in store.list_visit_images(actor, visit.id):
            row.photos += 1
            latest = store.latest_analysis(vi.id)
            if latest is None:
                continue
            summary = store.effective_summary(latest)
            if summary.get("quality") == "reject":
                continue
            row.analysed += 1
            row.analyses.append(latest)
            summaries.append(summary)
        row.values = {k: _mean([s.get(k) for s in summaries]) for k in METRICS}
        rows.append(row)
    base = next((r for r in rows if r.analysed), None)
    if base is None:
        return rows
    for row in rows:
        row.day = days_since(base.visit.visit_date, row.visit.visit_date)
        row.window = "baseline" if row is base else (assign_window(row.day) if row.day > 0 else None)
        for k in METRICS:
            b, v = base.values.get(k), row.values.get(k)
            row.change[k] = None if b is None or v is None else v - b
            row.change_pct[k] = None if b in (None, 0) or v is None else 100.0 * (v - b) / b
    return rows


def _points(store: Store, analysis: Analysis):
    """Hair exit points and diameters of a stored analysis (with its photo, for registration)."""
    from trichometry.visits import HairPoints

    image = decode_rgb(store.image_bytes(analysis.image_sha256))
    return HairPoints.from_analysis(analysis.result, image=image)


def matched_comparisons(store: Store, rows: list[VisitRow]) -> list[dict[str, Any]]:
    """Hair-to-hair comparison of each follow-up's first photo with the baseline's first photo.

    Returns one dict per follow-up visit: ``{"visit_id", "date", "window", "record"}``
    (``record`` from :func:`trichometry.visits.overlay.comparison_record`) or with
    ``"error"`` saying why the photos could not be compared.
    """
    from trichometry.visits import change_from_matching, match_hairs, register
    from trichometry.visits.overlay import comparison_record

    base = next((r for r in rows if r.window == "baseline"), None)
    if base is None or not base.analyses:
        return []
    out: list[dict[str, Any]] = []
    base_pts = None
    for row in rows:
        if row is base or not row.analyses:
            continue
        item: dict[str, Any] = {
            "visit_id": row.visit.id,
            "date": row.visit.visit_date.isoformat(),
            "window": row.window,
        }
        try:
            if row.visit.target_site != base.visit.target_site:
                raise TrichometryError(
                    f"target site {row.visit.target_site!r} differs from baseline {base.visit.target_site!r}"
                )
            base_pts = base_pts or _points(store, base.analyses[0])
            foll = _points(store, row.analyses[0])
            if not base_pts.um_per_px or not foll.um_per_px:
                raise TrichometryError("the photos are uncalibrated; give um per pixel when uploading")
            if abs(foll.um_per_px - base_pts.um_per_px) / base_pts.um_per_px > 0.02:
                foll = foll.rescaled(foll.um_per_px / base_pts.um_per_px)
            reg = register(
                base_pts.xy_px,
                foll.xy_px,
                um_per_px=base_pts.um_per_px,
                base_size=base_pts.size,
                follow_size=foll.size,
                base_image=base_pts.image,
                follow_image=foll.image,
            )
            matching = match_hairs(base_pts, foll, reg)
            rec = comparison_record(matching, change_from_matching(matching))
            for key in ("baseline_hairs", "followup_hairs", "pairs"):
                rec.pop(key, None)
            item["record"] = rec
        except TrichometryError as exc:
            item["error"] = str(exc)
        out.append(item)
    return out
