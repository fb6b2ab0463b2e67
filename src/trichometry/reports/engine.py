"""The report engine: from image records to visits, baselines, windows and changes.

Steps (each a small function):

1. group the images of one subject x site x visit and average their parameters
   (the spread across images is kept);
2. give every visit a study day (``days_since_baseline``, or its date minus the
   baseline visit's date) and find each subject x site's baseline (day 0);
3. put every follow-up visit in its protocol window; when several visits fall in one
   window the one closest to the target day is analysed (``ANL01FL``);
4. change from baseline, absolute and in %;
5. list every expected window a subject x site has no analysed visit in (missing),
   then hand over to :mod:`trichometry.reports.stats`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from trichometry.errors import ConfigError, DataFormatError
from trichometry.reports.parameters import PARAMETER_BY_CODE, PARAMETERS, measurement_view
from trichometry.reports.records import ImageRecord
from trichometry.reports.windows import DEFAULT_WINDOWS, VisitWindow, validate_windows, window_for_day

log = logging.getLogger(__name__)

#: decimals kept for every reported value (exports are rounded once, here, so all agree).
DECIMALS = 6


@dataclass(frozen=True)
class ReportConfig:
    """Choices that change the numbers of a report (all recorded in its provenance).

    Attributes:
        windows: protocol visit windows (validated: sorted, no overlaps).
        responder_threshold_pct: a subject responds when the responder parameter's
            change from baseline is at least this many percent (e.g. 10 = +10 %).
        responder_param: ``PARAMCD`` the responder rule applies to.
        vellus_cutoff_um: hairs thinner than this are vellus; the rest count as non-vellus.
        study_id: ``STUDYID`` when the records carry none.
        baseline_visit: visit label of the baseline, used only when a subject's records
            give dates but no ``days_since_baseline``.
        reference_arm: arm the others are compared against (differences are
            ``arm - reference``); ``None`` picks an arm named control, placebo, vehicle or
            sham if there is one, else compares arms in alphabetical order.
    """

    windows: tuple[VisitWindow, ...] = DEFAULT_WINDOWS
    responder_threshold_pct: float = 10.0
    responder_param: str = "DENS"
    vellus_cutoff_um: float = 30.0
    study_id: str = "TRICHOMETRY"
    baseline_visit: str = "baseline"
    reference_arm: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", validate_windows(self.windows))
        if not math.isfinite(self.responder_threshold_pct):
            raise ConfigError("the responder threshold must be a finite percentage, e.g. 10.")
        if self.responder_param not in PARAMETER_BY_CODE:
            raise ConfigError(
                f"unknown responder parameter {self.responder_param!r}; "
                f"choose one of {sorted(PARAMETER_BY_CODE)}."
            )
        if not (math.isfinite(self.vellus_cutoff_um) and self.vellus_cutoff_um > 0):
            raise ConfigError(
                f"vellus cut-off {self.vellus_cutoff_um} um must be a positive number, e.g. 30."
            )


@dataclass
class VisitObservation:
    """One subject x site x visit: the mean of its images' parameters and the change from baseline."""

    study_id: str
    subject: str
    arm: str
    site: str
    visit: str
    day: int
    date: dt.date | None
    images: tuple[ImageRecord, ...]
    values: dict[str, float]
    spread: dict[str, float]
    n_valid: dict[str, int]
    window: VisitWindow | None = None
    is_baseline: bool = False
    analysed: bool = False
    base: dict[str, float] = field(default_factory=dict)
    chg: dict[str, float] = field(default_factory=dict)
    pchg: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MissingVisit:
    """An expected window without an analysed visit for one subject x site."""

    subject: str
    arm: str
    site: str
    window: VisitWindow


def _round(x: float) -> float:
    return round(x, DECIMALS) if math.isfinite(x) else math.nan


def _check_record(r: ImageRecord) -> None:
    for name in ("subject", "site", "visit", "arm"):
        if not str(getattr(r, name)).strip():
            raise DataFormatError(
                f"image {r.image_id!r} has no {name}; fill in the {name} column of the manifest for it."
            )
    if not hasattr(r.measurement, "get"):
        raise DataFormatError(f"image {r.image_id!r}: its measurement is not a JSON object; re-run analyze.")


def _aggregate(images: Sequence[ImageRecord], cutoff: float) -> tuple[dict, dict, dict]:
    values, spread, n_valid = {}, {}, {}
    views = [measurement_view(r.measurement) for r in images]
    for p in PARAMETERS:
        xs = [v for v in (p.extract(m, cutoff) for m in views) if math.isfinite(v)]
        n = len(xs)
        mean = sum(xs) / n if n else math.nan
        sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else math.nan
        values[p.code], spread[p.code], n_valid[p.code] = _round(mean), _round(sd), n
    return values, spread, n_valid


def _study_days(records: Sequence[ImageRecord], baseline_visit: str) -> dict[tuple[str, str], int]:
    """``(subject, visit) -> day since baseline``; from the records' days or from their dates."""
    days: dict[tuple[str, str], set[int]] = defaultdict(set)
    dates: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    for r in records:
        if r.days_since_baseline is not None:
            days[(r.subject, r.visit)].add(int(r.days_since_baseline))
        if r.date is not None:
            dates[(r.subject, r.visit)].add(r.date)
    out: dict[tuple[str, str], int] = {}
    keys = sorted({(r.subject, r.visit) for r in records})
    for key in keys:
        if len(days[key]) > 1 or len(dates[key]) > 1:
            raise DataFormatError(
                f"subject {key[0]!r} visit {key[1]!r}: its images disagree on the day or date "
                f"({sorted(days[key])} {sorted(map(str, dates[key]))}); "
                "give every image of one visit the same."
            )
        if days[key]:
            out[key] = next(iter(days[key]))
    for subject, visit in keys:
        if (subject, visit) in out:
            continue
        if not dates[(subject, visit)]:
            raise DataFormatError(
                f"subject {subject!r} visit {visit!r} has neither days_since_baseline nor a date; "
                "fill in one of them in the manifest."
            )
        base = [v for s, v in keys if s == subject and v.lower() == baseline_visit.lower()]
        if not base or not dates[(subject, base[0])]:
            raise DataFormatError(
                f"subject {subject!r} has no dated baseline visit (a visit named {baseline_visit!r}), so the "
                f"day of visit {visit!r} cannot be computed; add days_since_baseline or the baseline's date."
            )
        delta = next(iter(dates[(subject, visit)])) - next(iter(dates[(subject, base[0])]))
        out[(subject, visit)] = delta.days
    return out


def _arms(records: Sequence[ImageRecord]) -> dict[str, str]:
    arms: dict[str, set[str]] = defaultdict(set)
    for r in records:
        arms[r.subject].add(r.arm)
    bad = {s: sorted(a) for s, a in arms.items() if len(a) > 1}
    if bad:
        raise DataFormatError(
            f"subjects in more than one arm: {bad}; each subject belongs to exactly one arm."
        )
    return {s: next(iter(a)) for s, a in arms.items()}


def observations(records: Sequence[ImageRecord], config: ReportConfig) -> list[VisitObservation]:
    """Group image records into visits with study days, baselines, windows and changes.

    Raises:
        DataFormatError: no records, missing fields, a subject x site without a baseline
            (day 0), several baseline visits, or disagreeing days or arms.
    """
    if not records:
        raise DataFormatError(
            "the cohort is empty: no analysed images were found; check the results folder and manifest."
        )
    for r in records:
        _check_record(r)
    dup = sorted(i for i, n in Counter(r.image_id for r in records).items() if n > 1)
    if dup:
        raise DataFormatError(f"images {dup[:5]} appear more than once; give each analysed image once.")
    days = _study_days(records, config.baseline_visit)
    arms = _arms(records)
    groups: dict[tuple[str, str, str], list[ImageRecord]] = defaultdict(list)
    for r in records:
        groups[(r.subject, r.site, r.visit)].append(r)
    obs: list[VisitObservation] = []
    for (subject, site, visit), imgs in sorted(groups.items()):
        imgs = sorted(imgs, key=lambda r: (r.image_id, r.image_sha256))
        values, spread, n_valid = _aggregate(imgs, config.vellus_cutoff_um)
        dates = [r.date for r in imgs if r.date is not None]
        obs.append(
            VisitObservation(
                study_id=imgs[0].study_id or config.study_id,
                subject=subject,
                arm=arms[subject],
                site=site,
                visit=visit,
                day=days[(subject, visit)],
                date=dates[0] if dates else None,
                images=tuple(imgs),
                values=values,
                spread=spread,
                n_valid=n_valid,
            )
        )
    _baselines_and_changes(obs, config)
    return sorted(obs, key=lambda o: (o.arm, o.subject, o.site, o.day, o.visit))


def _baselines_and_changes(obs: list[VisitObservation], config: ReportConfig) -> None:
    by_unit: dict[tuple[str, str], list[VisitObservation]] = defaultdict(list)
    for o in obs:
        by_unit[(o.subject, o.site)].append(o)
    no_base = [
        f"{s} ({site})" for (s, site), os_ in sorted(by_unit.items()) if not any(o.day == 0 for o in os_)
    ]
    if no_base:
        raise DataFormatError(
            f"no baseline visit (day 0) for subject {', '.join(no_base)}; change from baseline needs one. "
            "Add the baseline images, set days_since_baseline = 0 on the baseline rows, or leave these "
            "subjects out of the manifest."
        )
    for (subject, site), os_ in sorted(by_unit.items()):
        bases = [o for o in os_ if o.day == 0]
        if len(bases) > 1:
            raise DataFormatError(
                f"subject {subject!r} site {site!r} has several visits on day 0 "
                f"({sorted(o.visit for o in bases)}); keep one baseline visit (its images may share "
                "one visit label)."
            )
        base = bases[0]
        base.is_baseline = base.analysed = True
        chosen: dict[str, VisitObservation] = {}
        for o in sorted(os_, key=lambda o: o.day):
            if o is base:
                continue
            o.window = window_for_day(o.day, config.windows)
            if o.window is None:
                log.info(
                    "subject %s site %s visit %s (day %d) lies in no window", subject, site, o.visit, o.day
                )
                continue
            cur = chosen.get(o.window.name)
            if cur is None or abs(o.day - o.window.centre_day) < abs(cur.day - o.window.centre_day):
                chosen[o.window.name] = o
        for o in chosen.values():
            o.analysed = True
        for o in os_:
            for code, v in o.values.items():
                b = base.values[code]
                o.base[code] = b
                o.chg[code] = _round(v - b)
                o.pchg[code] = _round(100.0 * (v - b) / b) if b and math.isfinite(b) else math.nan


def missing_visits(obs: Sequence[VisitObservation], config: ReportConfig) -> list[MissingVisit]:
    """Every configured window a subject x site has no analysed visit in."""
    seen = {(o.subject, o.site, o.window.name) for o in obs if o.analysed and o.window is not None}
    units = sorted({(o.arm, o.subject, o.site) for o in obs})
    return [
        MissingVisit(subject, arm, site, w)
        for arm, subject, site in units
        for w in config.windows
        if (subject, site, w.name) not in seen
    ]


def model_warnings(obs: Sequence[VisitObservation]) -> list[str]:
    """Changes computed across different models or conventions (a change then mixes two rulers)."""
    out = []
    by_unit: dict[tuple[str, str], list[VisitObservation]] = defaultdict(list)
    for o in obs:
        by_unit[(o.subject, o.site)].append(o)
    for (subject, site), os_ in sorted(by_unit.items()):
        models = sorted({r.model.label() for o in os_ if o.analysed for r in o.images})
        convs = sorted({r.convention for o in os_ if o.analysed for r in o.images})
        if len(models) > 1:
            out.append(f"subject {subject} site {site}: visits measured with different models {models}")
        if len(convs) > 1:
            out.append(f"subject {subject} site {site}: visits measured with different conventions {convs}")
    return out
