"""A subject's course over visits, on the trial report's own rules.

The patient page, its PDF, its plots, ``/api/export.csv`` and the trial report all read a
subject through this module or through :func:`trichometry.reports.build_report` over the same
:class:`~trichometry.reports.store_source.StoreSource`, so they print the same numbers:

* per visit, the values are the report engine's (:func:`trichometry.reports.engine.observations`):
  the mean over the visit's photos of each photo's newest analysis, corrections applied,
  photos rejected by quality control carrying no numbers;
* a subject x target site's baseline is its first visit with photos (day 0); follow-ups fall
  into the protocol windows, and when several fall into one window the one closest to its
  target day is the one analysed (``ANL01FL``);
* per analysed follow-up, the headline change (:mod:`trichometry.reports.headline`):
  hair-to-hair when the photos register, else independent counts, both with 95 % intervals.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from trichometry.errors import DataFormatError
from trichometry.reports.engine import ReportConfig, VisitObservation, observations
from trichometry.reports.headline import HeadlineChange, headline_changes, headline_row
from trichometry.reports.intervals import visit_intervals
from trichometry.reports.store_source import StoreSource
from trichometry.store import Analysis, Store, Subject, TreatmentSession, User, Visit

log = logging.getLogger(__name__)

__all__ = [
    "METRICS",
    "SubjectCourse",
    "VisitRow",
    "headline_dict",
    "headline_row",
    "photo_quality",
    "subject_course",
]

#: shown metric -> (label, unit, report PARAMCD)
METRICS: dict[str, tuple[str, str, str]] = {
    "density_per_cm2": ("Density", "hairs/cm²", "DENS"),
    "nonvellus_density_per_cm2": ("Non-vellus density", "hairs/cm²", "NVDENS"),
    "mean_thickness_um": ("Mean thickness", "µm", "MEANDIAM"),
    "vellus_share_pct": ("Vellus share", "%", "VELLPCT"),
}


def _num(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass
class PhotoQuality:
    """One photo's quality verdict and, for ``warn`` / ``reject``, why and what to do."""

    image_id: int
    verdict: str
    reasons: list[str]
    advice: str = ""


@dataclass
class VisitRow:
    """One stored visit on the timeline (values ``None`` where unknown)."""

    visit: Visit
    day: int | None = None
    window: str | None = None
    is_baseline: bool = False
    analysed_for_window: bool = False
    photos: int = 0
    analysed: int = 0
    values: dict[str, float | None] = field(default_factory=dict)
    low: dict[str, float | None] = field(default_factory=dict)
    high: dict[str, float | None] = field(default_factory=dict)
    change: dict[str, float | None] = field(default_factory=dict)
    change_pct: dict[str, float | None] = field(default_factory=dict)
    analyses: list[Analysis] = field(default_factory=list)
    quality: list[PhotoQuality] = field(default_factory=list)
    headline: HeadlineChange | None = None
    observation: VisitObservation | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        v = self.visit
        return {
            "visit_id": v.id,
            "date": v.visit_date.isoformat(),
            "target_site": v.target_site,
            "arm": v.arm,
            "day": self.day,
            "window": self.window,
            "baseline": self.is_baseline,
            "analysed_for_window": self.analysed_for_window,
            "photos": self.photos,
            "analysed": self.analysed,
            "values": self.values,
            "ci95_low": self.low,
            "ci95_high": self.high,
            "change_since_baseline": self.change,
            "change_since_baseline_pct": self.change_pct,
            "headline": None if self.headline is None else headline_dict(self.headline),
            "quality": [q.__dict__ for q in self.quality],
        }


@dataclass
class SubjectCourse:
    """Everything the patient page shows about one subject."""

    subject: Subject
    rows: list[VisitRow]
    headlines: list[HeadlineChange]
    treatments: list[TreatmentSession]
    note: str = ""


def headline_dict(h: HeadlineChange) -> dict[str, Any]:
    """The headline change as JSON (both figures, their intervals, the sentence)."""
    m = h.matched

    def iv(i: Any) -> dict[str, float | None]:
        return {"estimate": _num(i.estimate), "low": _num(i.low), "high": _num(i.high)}

    return {
        "window": h.window,
        "visit": h.visit,
        "day": h.day,
        "measure": h.measure,
        "density_change_per_cm2": iv(h.change),
        "density_change_pct": _num(h.change_pct),
        "independent_density_change_per_cm2": iv(h.independent),
        "hair_to_hair": None
        if m is None
        else {
            "density_change_per_cm2": iv(m.density),
            "mean_thickness_change_um": iv(m.thickness),
            "matched": m.matched,
            "lost": m.lost,
            "new": m.new,
            "n_photos": m.n_photos,
        },
        "not_compared": h.not_matched or None,
        "disagree": h.disagree,
        "sentence": h.sentence(),
    }


#: words of a quality reason -> what the clinician should do before re-taking
ADVICE = {
    "focus": "re-focus the dermoscope",
    "glare": "remove glare (immersion fluid or polarised light)",
    "exposed": "adjust the light",
    "usable after masking": "export the photo without burned-in annotations",
}


def photo_quality(analysis: Analysis) -> PhotoQuality:
    """The quality verdict and reasons recorded with an analysis, with advice for a re-take."""
    q = (analysis.result or {}).get("quality") or {}
    reasons = [str(r) for r in q.get("reasons") or []]
    advice = ""
    if analysis.quality == "reject":
        hints = sorted({a for r in reasons for k, a in ADVICE.items() if k in r.lower()})
        advice = ", ".join([*hints, "re-take the photo at the marked target area"])
        advice = advice[0].upper() + advice[1:] + "."
    return PhotoQuality(analysis.visit_image_id, analysis.quality, reasons, advice)


def _row(source: StoreSource, visit: Visit) -> VisitRow:
    """A visit's row from what the source read (no second trip to the store)."""
    row = VisitRow(visit=visit)
    for vi in source.photos[visit.id]:
        row.photos += 1
        latest = source.latest[vi.id]
        if latest is not None:
            row.analyses.append(latest)
            row.quality.append(photo_quality(latest))
    return row


def _fill(row: VisitRow, o: VisitObservation, config: ReportConfig) -> None:
    row.observation = o
    row.day, row.is_baseline, row.analysed_for_window = o.day, o.is_baseline, o.analysed
    row.window = "baseline" if o.is_baseline else (o.window.name if o.window else None)
    row.analysed = o.n_valid["DENS"]
    bands = visit_intervals(o, config.vellus_cutoff_um)
    for key, (_, _, code) in METRICS.items():
        row.values[key] = _num(o.values[code])
        row.low[key], row.high[key] = _num(bands[code].low), _num(bands[code].high)
        row.change[key] = None if o.is_baseline else _num(o.chg[code])
        row.change_pct[key] = None if o.is_baseline else _num(o.pchg[code])


def subject_course(
    store: Store, actor: User, subject_id: int, config: ReportConfig | None = None
) -> SubjectCourse:
    """The subject's visits (oldest first) with values, intervals, changes and headline changes.

    Args:
        config: the report rules (windows, vellus cut-off); the trial report's defaults.
    """
    config = config or ReportConfig()
    subject = store.get_subject(actor, subject_id)
    source = StoreSource(store, actor, subject_ids=[subject.id])
    records = list(source.records())
    rows = [_row(source, v) for v in source.visits]
    course = SubjectCourse(subject, rows, [], store.list_treatment_sessions(actor, subject.id))
    if not records:
        course.note = "No analysed photo yet: values appear once the first analysis finishes."
        return course
    try:
        obs = observations(records, config)
    except DataFormatError as exc:
        first = next((r for r in rows if r.photos), None)
        if first is not None and not first.analyses:
            course.note = (
                f"The baseline visit ({first.visit.visit_date}) has no analysed photo yet; values and "
                "changes appear once its analysis finishes."
            )
        else:
            course.note = f"Changes cannot be computed from these visits: {exc}"
        log.info("subject %s: %s", subject.code, course.note)
        return course
    course.headlines = headline_changes(obs, source.matched_changes(obs))
    by_key = {(o.site, o.visit): o for o in obs}
    heads = {(h.site, h.visit): h for h in course.headlines}
    for row in rows:
        key = (row.visit.target_site, row.visit.visit_date.isoformat())
        if key in by_key:
            _fill(row, by_key[key], config)
            row.headline = heads.get(key)
    return course
