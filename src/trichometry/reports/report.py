"""``build_report(source, ...)``: everything an export needs, computed once.

Writers (:mod:`trichometry.reports.writers`) only format a :class:`Report`; they never
compute, so CSV, XLSX and PDF carry the same numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

import scipy

from trichometry import __version__
from trichometry.errors import ConfigError
from trichometry.reports.baseline import BaselineStats, baseline_stats
from trichometry.reports.bds import COLUMNS, headline_rows, long_rows
from trichometry.reports.engine import (
    MissingVisit,
    ReportConfig,
    VisitObservation,
    missing_visits,
    model_warnings,
    observations,
)
from trichometry.reports.headline import HeadlineChange, headline_changes
from trichometry.reports.provenance import iso, resolve_timestamp, rows_sha256
from trichometry.reports.records import ReportSource
from trichometry.reports.stats import ArmComparison, ArmWindowStats, arm_window_stats
from trichometry.reports.windows import spec

log = logging.getLogger(__name__)

STATISTICS_NOTE = (
    "Change from baseline per arm and window: mean, SD, 95% CI (Student t); one-sample t-test "
    "and Wilcoxon signed-rank test against zero. Between arms: difference in mean change with "
    "Welch 95% CI, Welch t-test and Mann-Whitney U (two-sided). Missing visits are counted and "
    "listed, not imputed."
)


@dataclass
class Report:
    """A computed trial report.

    Attributes:
        config: the choices behind the numbers.
        generated_at: UTC time stamp written into every export.
        source: one line naming where the records came from.
        observations: one per subject x site x visit.
        missing: expected windows without an analysed visit.
        stats: per parameter x site x arm x window.
        comparisons: per parameter x site x window x pair of arms.
        baseline: baseline values per parameter x site x arm (comparability of the arms).
        headlines: the headline density change per analysed follow-up visit (hair-to-hair
            when the source could register the photos, else independent counts; see
            :mod:`trichometry.reports.headline`).
        rows: the long BDS data (see :mod:`trichometry.reports.bds`), in ``columns`` order.
        columns: column names of ``rows``.
        warnings: things a reader must know (mixed models, unknown image hashes, ...).
        provenance: JSON-ready record of versions, models, conventions and images.
    """

    config: ReportConfig
    generated_at: dt.datetime
    source: str
    observations: list[VisitObservation]
    missing: list[MissingVisit]
    stats: list[ArmWindowStats]
    comparisons: list[ArmComparison]
    baseline: list[BaselineStats]
    headlines: list[HeadlineChange]
    rows: list[dict[str, Any]]
    columns: tuple[str, ...]
    warnings: list[str]
    provenance: dict[str, Any]

    @property
    def study_id(self) -> str:
        ids = sorted({o.study_id for o in self.observations})
        return ids[0] if len(ids) == 1 else ";".join(ids)

    @property
    def arms(self) -> list[str]:
        return sorted({o.arm for o in self.observations})

    def stat(self, param: str, arm: str, window: str, site: str | None = None) -> ArmWindowStats:
        """The statistics of one cell (``site`` may be left out when the cohort has one site)."""
        hits = [
            s
            for s in self.stats
            if s.param == param and s.arm == arm and s.window == window and (site is None or s.site == site)
        ]
        if len(hits) != 1:
            raise KeyError(f"{len(hits)} statistics match {param}/{arm}/{window}/{site}")
        return hits[0]


def _provenance(
    report_obs: list[VisitObservation],
    config: ReportConfig,
    ts: dt.datetime,
    source: str,
    rows: list[dict[str, Any]],
    warns: list[str],
) -> dict[str, Any]:
    images = sorted(
        {
            (o.subject, o.site, o.day, r.image_id, r.image_sha256, o.visit, r.model.label(), r.image_path)
            for o in report_obs
            for r in o.images
        }
    )
    models = Counter((r.model.name, r.model.version, r.model.sha256) for o in report_obs for r in o.images)
    convs = Counter(r.convention or "(not recorded)" for o in report_obs for r in o.images)
    return {
        "generated_at": iso(ts),
        "trichometry_version": __version__,
        "scipy_version": scipy.__version__,
        "source": source,
        "study_id": sorted({o.study_id for o in report_obs}),
        "windows": [spec(w) for w in config.windows],
        "responder": {"parameter": config.responder_param, "threshold_pct": config.responder_threshold_pct},
        "reference_arm": config.reference_arm,
        "vellus_cutoff_um": config.vellus_cutoff_um,
        "conventions": [{"convention": c, "images": n} for c, n in sorted(convs.items())],
        "models": [
            {"name": n, "version": v, "sha256": s, "images": k} for (n, v, s), k in sorted(models.items())
        ],
        "n_subjects": len({o.subject for o in report_obs}),
        "n_images": len(images),
        "data_sha256": rows_sha256(COLUMNS, rows),
        "statistics": STATISTICS_NOTE,
        "warnings": warns,
        "images": [
            {
                "image_id": i,
                "sha256": s,
                "subject": subj,
                "site": site,
                "visit": v,
                "day": d,
                "model": m,
                "path": p,
            }
            for subj, site, d, i, s, v, m, p in images
        ],
    }


def build_report(
    source: ReportSource,
    config: ReportConfig | None = None,
    *,
    generated_at: str | int | float | dt.datetime | None = None,
) -> Report:
    """Compute a cohort report from a source of image records.

    Args:
        source: e.g. :class:`trichometry.reports.sources.ResultsFolderSource`.
        config: windows, responder rule, vellus cut-off (defaults: 2 weeks, 1, 3, 6 months;
            +10 % density; 30 um).
        generated_at: the time stamp to record (see
            :func:`trichometry.reports.provenance.resolve_timestamp`); fix it for
            byte-identical exports.

    Raises:
        DataFormatError: empty cohort, a subject without baseline, inconsistent records.
        ConfigError: bad windows, threshold or time stamp.
    """
    config = config or ReportConfig()
    ts = resolve_timestamp(generated_at)
    records = list(source.records())
    obs = observations(records, config)
    arms = sorted({o.arm for o in obs})
    if config.reference_arm is not None and config.reference_arm not in arms:
        raise ConfigError(
            f"reference arm {config.reference_arm!r} is not in the cohort (arms: {arms}); "
            "choose one of these or leave it out."
        )
    missing = missing_visits(obs, config)
    stats, comps = arm_window_stats(obs, config)
    matched = getattr(source, "matched_changes", None)
    headlines = headline_changes(obs, matched(obs) if callable(matched) else None)
    rows = long_rows(obs, missing, config) + headline_rows(headlines, obs)
    warns = model_warnings(obs)
    source_warnings = getattr(source, "warnings", None)
    if callable(source_warnings):
        warns += list(source_warnings())
    no_sha = sorted({r.image_id for r in records if not r.image_sha256})
    if no_sha:
        warns.append(f"{len(no_sha)} image(s) without a recorded SHA-256, e.g. {no_sha[:3]}")
    rejected = sorted({r.image_id for r in records if r.measurement.get("status") == "rejected"})
    if rejected:
        warns.append(
            f"{len(rejected)} image(s) rejected by quality control carry no numbers (their visits may be "
            f"missing), e.g. {rejected[:3]}"
        )
    corrected = sorted({r.image_id for r in records if r.corrected})
    if corrected:
        warns.append(
            f"{len(corrected)} image(s) use corrected numbers (with a recorded reason), e.g. {corrected[:3]}"
        )
    unsched = sorted({(o.subject, o.site, o.visit, o.day) for o in obs if not o.analysed})
    if unsched:
        warns.append(
            f"{len(unsched)} visit(s) not analysed (outside every window or not closest to its target): "
            + ", ".join(f"{s}/{site}/{v} day {d}" for s, site, v, d in unsched[:10])
        )
    if missing:
        warns.append(f"{len(missing)} expected window visit(s) missing; see the missing-visit list")
    for w in warns:
        log.warning("%s", w)
    prov = _provenance(obs, config, ts, source.describe(), rows, warns)
    log.info("report: %d subjects, %d visits, %d images", prov["n_subjects"], len(obs), prov["n_images"])
    return Report(
        config=config,
        generated_at=ts,
        source=source.describe(),
        observations=obs,
        missing=missing,
        stats=stats,
        comparisons=comps,
        baseline=baseline_stats(obs, config),
        headlines=headlines,
        rows=rows,
        columns=COLUMNS,
        warnings=warns,
        provenance=prov,
    )
