"""A subject's course over visits: per-visit numbers, change since baseline, matched hairs.

Per visit, the numbers are the mean over its photos of each photo's newest analysis
(with corrections applied); photos whose quality verdict is ``reject`` are left out.
The baseline is the earliest visit with numbers; follow-ups are put into the project's
visit windows (2 weeks, 1/3/6 months) by :func:`trichometry.visits.assign_window`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import TrichometryError
from trichometry.store import Analysis, Store, User, Visit
from trichometry.store.images import decode_rgb

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


class _LRU(dict):
    """A small least-recently-stored cache: analyses are append-only, so results never go stale."""

    def __init__(self, size: int = 256) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def __setitem__(self, key, value) -> None:
        with self.lock:
            if len(self) >= self.size:
                self.pop(next(iter(self)))
            super().__setitem__(key, value)


# (database, baseline date, follow-up date, baseline analysis ids, follow-up analysis ids) -> record
_CACHE = _LRU()


def matched_comparisons(store: Store, rows: list[VisitRow]) -> list[dict[str, Any]]:
    """Hair-to-hair comparison of each follow-up visit with the baseline visit.

    Uses :func:`trichometry.visits.compare_visit`: where both visits have several photos,
    each visit's photos first vote on its hairs (a consensus in its first photo's frame)
    and the consensuses are matched; otherwise every follow-up photo is registered onto
    the baseline's photos, hairs are matched one to one, and the changes averaged.

    Returns:
        One dict per analysed follow-up visit: ``visit_id``, ``date``, ``window`` and either
        ``record`` (matched/lost/new, density and thickness change with 95 % intervals,
        the library's full comparison under ``"comparison"``) or ``error`` (why not).
    """
    from trichometry.visits import VisitPhotos, compare_visit

    base = next((r for r in rows if r.window == "baseline"), None)
    if base is None or not base.analyses:
        return []
    out: list[dict[str, Any]] = []
    base_photos: VisitPhotos | None = None
    for row in rows:
        if row is base or not row.analyses:
            continue
        v = row.visit
        item: dict[str, Any] = {"visit_id": v.id, "date": v.visit_date.isoformat(), "window": row.window}
        try:
            if v.target_site != base.visit.target_site:
                raise TrichometryError(
                    f"target site {v.target_site!r} differs from the baseline's {base.visit.target_site!r}"
                )
            key = (str(store.engine.url), base.visit.visit_date, v.visit_date,
                   tuple(a.id for a in base.analyses), tuple(a.id for a in row.analyses))  # fmt: skip
            cached = _CACHE.get(key)
            if cached is not None:
                item["record"] = cached
                out.append(item)
                continue
            if base_photos is None:
                base_photos = VisitPhotos(
                    str(base.visit.id), base.visit.visit_date, [_points(store, a) for a in base.analyses]
                )
            follow = VisitPhotos(str(v.id), v.visit_date, [_points(store, a) for a in row.analyses])
            if any(not p.um_per_px for p in base_photos.photos + follow.photos):
                raise TrichometryError("a photo is uncalibrated; give um per pixel when uploading")
            comparison = compare_visit(base_photos, follow, rescale=True)
            ch = comparison.change.to_dict()
            item["record"] = _CACHE[key] = {
                "matched": ch["matched"],
                "lost": ch["lost"],
                "new": ch["new"],
                "n_photos": ch["n_photos"],
                "density_change_per_cm2": ch["density_change_per_cm2"]["estimate"],
                "density_change_ci95": [
                    ch["density_change_per_cm2"]["low"],
                    ch["density_change_per_cm2"]["high"],
                ],
                "mean_thickness_change_um": ch["mean_thickness_change_um"]["estimate"],
                "independent_density_change_per_cm2": comparison.independent_density_change_per_cm2,
                "comparison": comparison.to_dict(),
            }
        except TrichometryError as exc:
            item["error"] = str(exc)
        out.append(item)
    return out
