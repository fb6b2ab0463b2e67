"""Human-readable tables of a :class:`Report` (shared by the XLSX and PDF writers).

Each function returns ``(header, rows)``; cells are text or numbers (``None`` = empty).
"""

from __future__ import annotations

import math
from typing import Any

from trichometry.reports.parameters import PARAMETER_BY_CODE
from trichometry.reports.report import Report

Table = tuple[list[str], list[list[Any]]]


def _n(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def stats_table(report: Report, param: str | None = None) -> Table:
    """Per parameter x site x arm x window: n, missing, mean change, CI, tests, responders."""
    header = [
        "PARAMCD",
        "SITE",
        "ARM",
        "WINDOW",
        "N",
        "N MISSING",
        "MEAN BASE",
        "MEAN CHG",
        "SD CHG",
        "CI95 LOW",
        "CI95 HIGH",
        "MEAN PCHG",
        "P (T-TEST)",
        "P (WILCOXON)",
        "RESPONDERS",
        "RESPONDER SHARE",
        "MISSING SUBJECTS",
    ]
    rows = [
        [
            s.param,
            s.site,
            s.arm,
            s.window,
            s.n,
            s.n_missing,
            _n(s.mean_base),
            _n(s.mean_chg),
            _n(s.sd_chg),
            _n(s.ci95_lo),
            _n(s.ci95_hi),
            _n(s.mean_pchg),
            _n(s.t_p),
            _n(s.wilcoxon_p),
            s.n_responders,
            _n(s.responder_share),
            ", ".join(s.missing_subjects),
        ]
        for s in report.stats
        if param is None or s.param == param
    ]
    return header, rows


def baseline_table(report: Report, param: str | None = None) -> Table:
    """Baseline values per parameter x site x arm, with tests against the reference arm."""
    header = [
        "PARAMCD",
        "SITE",
        "ARM",
        "N",
        "MEAN",
        "SD",
        "MEDIAN",
        "MIN",
        "MAX",
        "VERSUS",
        "P (WELCH)",
        "P (MANN-WHITNEY)",
    ]
    rows = [
        [
            b.param,
            b.site,
            b.arm,
            b.n,
            _n(b.mean),
            _n(b.sd),
            _n(b.median),
            _n(b.min),
            _n(b.max),
            b.versus,
            _n(b.welch_p),
            _n(b.mannwhitney_p),
        ]
        for b in report.baseline
        if param is None or b.param == param
    ]
    return header, rows


def comparisons_table(report: Report, param: str | None = None) -> Table:
    """Between-arm differences in mean change with Welch CI and tests."""
    header = [
        "PARAMCD",
        "SITE",
        "WINDOW",
        "ARM A",
        "ARM B",
        "N A",
        "N B",
        "DIFF (A-B)",
        "CI95 LOW",
        "CI95 HIGH",
        "P (WELCH)",
        "P (MANN-WHITNEY)",
    ]
    rows = [
        [
            c.param,
            c.site,
            c.window,
            c.arm_a,
            c.arm_b,
            c.n_a,
            c.n_b,
            _n(c.diff),
            _n(c.ci95_lo),
            _n(c.ci95_hi),
            _n(c.welch_p),
            _n(c.mannwhitney_p),
        ]
        for c in report.comparisons
        if param is None or c.param == param
    ]
    return header, rows


def subject_listing(report: Report, param: str | None = None) -> Table:
    """One row per subject x site: baseline and, per window, value, change, % change (and
    responder flag for the responder parameter). Empty cells are missing visits."""
    code = param or report.config.responder_param
    windows = [w.name for w in report.config.windows]
    resp = code == report.config.responder_param
    header = ["USUBJID", "ARM", "SITE", "BASE"]
    for w in windows:
        header += [f"{w} AVAL", f"{w} CHG", f"{w} PCHG"] + ([f"{w} RESP"] if resp else [])
    units: dict[tuple[str, str, str], dict[str, Any]] = {}
    for o in report.observations:
        cell = units.setdefault((o.arm, o.subject, o.site), {})
        if o.is_baseline:
            cell["BASE"] = _n(o.values[code])
        elif o.analysed and o.window is not None:
            cell[o.window.name] = o
    rows = []
    for (arm, subject, site), cell in sorted(units.items()):
        row: list[Any] = [subject, arm, site, cell.get("BASE")]
        for w in windows:
            o = cell.get(w)
            pchg = _n(o.pchg[code]) if o else None
            row += [_n(o.values[code]) if o else None, _n(o.chg[code]) if o else None, pchg]
            if resp:
                row.append(
                    None if pchg is None else ("Y" if pchg >= report.config.responder_threshold_pct else "N")
                )
        rows.append(row)
    return header, rows


def headline_table(report: Report) -> Table:
    """The headline density change per subject x site x window, both figures side by side."""
    from trichometry.reports.headline import HEADLINE_COLUMNS, headline_row

    header = list(HEADLINE_COLUMNS)
    return header, [[headline_row(h)[c] for c in header] for h in report.headlines]


def missing_table(report: Report) -> Table:
    """Every expected window without an analysed visit."""
    header = ["USUBJID", "ARM", "SITE", "WINDOW", "DAYS"]
    rows = [
        [m.subject, m.arm, m.site, m.window.name, f"{m.window.first_day:g}-{m.window.last_day:g}"]
        for m in report.missing
    ]
    return header, rows


def provenance_table(report: Report) -> Table:
    """Key facts: time stamp, versions, source, rules, models, conventions, fingerprint."""
    p = report.provenance
    rows: list[list[Any]] = [
        ["generated_at", p["generated_at"]],
        ["trichometry_version", p["trichometry_version"]],
        ["scipy_version", p["scipy_version"]],
        ["source", p["source"]],
        ["study_id", ";".join(p["study_id"])],
        ["subjects", p["n_subjects"]],
        ["images", p["n_images"]],
        ["windows", ", ".join(p["windows"])],
        ["responder rule", f"{p['responder']['parameter']} PCHG >= {p['responder']['threshold_pct']:g}%"],
        ["vellus cut-off (um)", p["vellus_cutoff_um"]],
        ["data_sha256", p["data_sha256"]],
        ["statistics", p["statistics"]],
    ]
    rows += [["convention", f"{c['convention']} ({c['images']} images)"] for c in p["conventions"]]
    rows += [
        [
            "model",
            f"{m['name']} {m['version']} sha256={m['sha256'] or '(not recorded)'} ({m['images']} images)",
        ]
        for m in p["models"]
    ]
    rows += [["warning", w] for w in p["warnings"]]
    return ["ITEM", "VALUE"], rows


def images_table(report: Report) -> Table:
    """Every image behind the report with its hash and model."""
    header = ["IMAGE", "SHA256", "USUBJID", "SITE", "VISIT", "DAY", "MODEL", "PATH"]
    rows = [
        [i["image_id"], i["sha256"], i["subject"], i["site"], i["visit"], i["day"], i["model"], i["path"]]
        for i in report.provenance["images"]
    ]
    return header, rows


def param_title(report: Report, code: str) -> str:
    return PARAMETER_BY_CODE[code].title(report.config.vellus_cutoff_um)
