"""The report as a PDF (matplotlib): overview, statistics tables, plots, listings, provenance.

Pages, in order: ``Overview``; ``Baseline by arm``; one ``Statistics: <PARAMCD>`` page per
parameter (within-arm change and between-arm comparison); ``Mean change from baseline by
window`` (95 % CI per arm); ``Per-subject trajectories``; ``Listing: <responder PARAMCD>``;
``Missing visits``; ``Provenance`` and ``Images`` (continued on further pages when long).
Text uses the PDF core fonts (searchable, nothing embedded) unless the report holds
characters beyond Latin-1, which embed DejaVu. Reproducible: creation and modification
dates are the report's ``generated_at``.
"""

from __future__ import annotations

import io
import logging
import math
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from trichometry.reports import tables
from trichometry.reports.parameters import PARAMETERS
from trichometry.reports.report import Report

A4 = (8.27, 11.69)
ROWS_PER_PAGE = 80
# PDF core fonts (Helvetica, Courier): nothing to embed, text stays searchable, and long
# listings render about 8x faster than with embedded TrueType subsets. Core fonts cover
# Latin-1 only; a report with other characters (e.g. CJK subject codes) embeds DejaVu.
_RC_CORE = {
    "pdf.use14corefonts": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["Helvetica", "DejaVu Sans"],
    "font.monospace": ["Courier", "DejaVu Sans Mono"],
    "path.simplify": True,
    "text.parse_math": False,  # "$" in a subject code or arm is text, never mathtext
}
_RC_UNICODE = {
    "pdf.fonttype": 42,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.monospace": ["DejaVu Sans Mono"],
    "path.simplify": True,
    "text.parse_math": False,  # "$" in a subject code or arm is text, never mathtext
}


def _latin1(report: Report) -> bool:
    """Whether every text the PDF shows can be written with the core fonts."""
    texts = [report.source, report.study_id, *report.warnings, *report.config.responder_param]
    texts += [str(v) for row in report.rows for v in row.values() if isinstance(v, str)]
    texts += [str(v) for i in report.provenance["images"] for v in i.values()]
    texts += [f"{m['name']} {m['version']}" for m in report.provenance["models"]]
    try:
        "".join(texts).encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e-3 and v != 0 else f"{v:.3f}".rstrip("0").rstrip(".")
    return str(v)


def _listing(
    header: Sequence[str], rows: Sequence[Sequence[Any]], cols: Sequence[int], width: int = 40
) -> list[str]:
    """Fixed-width lines (a clinical "listing"): header, rule, one line per row; numbers right-aligned."""
    heads = [str(header[c]) for c in cols]
    if not rows:
        return ["  ".join(heads), "(none)"]
    cells = [[_fmt(r[c])[:width] for c in cols] for r in rows]
    numeric = [all(isinstance(r[c], int | float) or r[c] is None for r in rows) for c in cols]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]

    def line(vals: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(vals, widths, numeric)
        ).rstrip()

    return [line(heads), "-" * len(line(heads)), *(line(r) for r in cells)]


def _page(pdf: PdfPages, title: str, blocks: Sequence[tuple[str, Sequence[str]]], size: float = 6.5) -> None:
    """One page: a title, then (note, lines) blocks in monospace (shrunk to fit the width)."""
    widest = max((len(line) for _, lines in blocks for line in lines), default=1)
    size = min(size, 0.9 * A4[0] * 72 / (0.6 * max(widest, 1)))  # monospace: 0.6 em per character
    fig = plt.figure(figsize=A4)
    fig.text(0.05, 0.965, title, fontsize=14, weight="bold", va="top")
    y = 0.93
    for note, lines in blocks:
        if note:
            fig.text(0.05, y, note, fontsize=8, va="top", wrap=True)
            y -= 0.025
        fig.text(0.05, y, "\n".join(lines), fontsize=size, va="top", family="monospace", linespacing=1.3)
        y -= (len(lines) + 2) * size * 1.3 / 72 / A4[1]
    pdf.savefig(fig)
    plt.close(fig)


def _text_page(pdf: PdfPages, title: str, lines: Sequence[str]) -> None:
    _page(pdf, title, [("", lines)], size=8)


def _table_pages(
    pdf: PdfPages,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    cols: Sequence[int] | None = None,
    note: str = "",
    width: int = 40,
) -> None:
    cols = list(cols) if cols is not None else list(range(len(header)))
    chunks = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    for k, chunk in enumerate(chunks):
        suffix = f" (continued {k + 1}/{len(chunks)})" if k else ""
        _page(pdf, title + suffix, [(note, _listing(header, chunk, cols, width))])


def _overview(pdf: PdfPages, r: Report) -> None:
    p = r.provenance
    per_arm: dict[str, set[str]] = defaultdict(set)
    for o in r.observations:
        per_arm[o.arm].add(o.subject)
    lines = [
        f"Study: {r.study_id}",
        f"Generated at: {p['generated_at']}   trichometry {p['trichometry_version']}",
        f"Source: {p['source']}",
        f"Subjects: {p['n_subjects']}   images: {p['n_images']}   visits: {len(r.observations)}",
        *[f"  arm {a}: {len(s)} subjects" for a, s in sorted(per_arm.items())],
        "Windows (days since baseline): " + ", ".join(p["windows"]),
        f"Responder: {p['responder']['parameter']} change >= {p['responder']['threshold_pct']:g}%",
        f"Vellus cut-off: {p['vellus_cutoff_um']:g} um (non-vellus = at least this thick)",
        f"Missing expected visits: {len(r.missing)}",
        f"Data fingerprint (sha256 of the long data): {p['data_sha256']}",
        "",
        "Warnings:" if p["warnings"] else "Warnings: none",
        *[f"  - {w}" for w in p["warnings"]],
    ]
    _text_page(pdf, "Overview", lines)


_STAT_COLS = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15]
_COMP_COLS = list(range(1, 12))


def _stats_pages(pdf: PdfPages, r: Report) -> None:
    """One page per parameter: change within arms (top) and between arms (bottom)."""
    for prm in PARAMETERS:
        header, rows = tables.stats_table(r, prm.code)
        header_c, comp = tables.comparisons_table(r, prm.code)
        title = f"Statistics: {prm.code}"
        note = f"{tables.param_title(r, prm.code)}. Change from baseline within each arm and window."
        note_c = "Between arms: difference in mean change (arm A - arm B), Welch 95% CI, two-sided tests."
        if len(rows) + len(comp) > ROWS_PER_PAGE:  # large cohorts: each table on its own pages
            _table_pages(pdf, title, header, rows, _STAT_COLS, note)
            _table_pages(pdf, f"{title} (between arms)", header_c, comp, _COMP_COLS, note_c)
            continue
        blocks = [(note, _listing(header, rows, _STAT_COLS)), (note_c, _listing(header_c, comp, _COMP_COLS))]
        _page(pdf, title, blocks)


def _plots(pdf: PdfPages, r: Report) -> None:
    fig, axes = plt.subplots(3, 2, figsize=A4)
    fig.suptitle("Mean change from baseline by window (95% CI)", fontsize=13, weight="bold")
    names = [w.name for w in r.config.windows]
    for ax, prm in zip(axes.ravel(), PARAMETERS):
        groups = sorted({(s.arm, s.site) for s in r.stats if s.param == prm.code})
        one_site = len({site for _, site in groups}) == 1
        for k, (arm, site) in enumerate(groups):
            ss = [s for s in r.stats if s.param == prm.code and s.arm == arm and s.site == site]
            x = [names.index(s.window) + (k - (len(groups) - 1) / 2) * 0.12 for s in ss]
            y = [s.mean_chg for s in ss]
            lo = [s.mean_chg - s.ci95_lo if math.isfinite(s.ci95_lo) else 0 for s in ss]
            hi = [s.ci95_hi - s.mean_chg if math.isfinite(s.ci95_hi) else 0 for s in ss]
            label = arm if one_site else f"{arm} / {site}"
            ax.errorbar(x, y, yerr=[lo, hi], fmt="o-", capsize=3, label=label, ms=4)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set_xticks(range(len(names)), names, fontsize=7)
        ax.set_title(prm.title(r.config.vellus_cutoff_um), fontsize=8)
        ax.set_ylabel(f"change ({prm.unit})", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    pdf.savefig(fig)
    plt.close(fig)


def _trajectories(pdf: PdfPages, r: Report) -> None:
    fig, axes = plt.subplots(2, 1, figsize=A4)
    fig.suptitle("Per-subject trajectories", fontsize=13, weight="bold")
    arms = sorted({o.arm for o in r.observations})
    colours = {a: f"C{i}" for i, a in enumerate(arms)}
    series: dict[tuple[str, str], list] = defaultdict(list)
    for o in r.observations:
        if o.analysed:
            series[(o.subject, o.site)].append(o)
    for (_subject, _site), os_ in sorted(series.items()):
        os_ = sorted(os_, key=lambda o: o.day)
        c = colours[os_[0].arm]
        axes[0].plot(
            [o.day for o in os_], [o.values["DENS"] for o in os_], "-o", color=c, ms=2.5, lw=0.8, alpha=0.7
        )
        axes[1].plot(
            [o.day for o in os_],
            [0.0 if o.is_baseline else o.pchg["DENS"] for o in os_],
            "-o",
            color=c,
            ms=2.5,
            lw=0.8,
            alpha=0.7,
        )
    for a in arms:
        axes[0].plot([], [], color=colours[a], label=a)
    axes[0].set_ylabel("density (hairs/cm2)")
    axes[1].set_ylabel("density change from baseline (%)")
    axes[1].axhline(
        r.config.responder_threshold_pct, color="0.5", ls="--", lw=0.8, label="responder threshold"
    )
    for ax in axes:
        ax.set_xlabel("days since baseline")
        ax.legend(fontsize=7)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    pdf.savefig(fig)
    plt.close(fig)


def _provenance_pages(pdf: PdfPages, r: Report) -> None:
    lines: list[str] = []
    for item, value in tables.provenance_table(r)[1]:
        wrapped = textwrap.wrap(str(value), 110) or [""]
        lines += [f"{item:<20} {wrapped[0]}", *(" " * 21 + w for w in wrapped[1:])]
    for k in range(0, max(len(lines), 1), ROWS_PER_PAGE):
        _page(pdf, "Provenance" + (" (continued)" if k else ""), [("", lines[k : k + ROWS_PER_PAGE])])


def pdf_bytes(report: Report) -> bytes:
    """The PDF as bytes."""
    when = report.generated_at
    meta = {
        "Title": f"{report.study_id} hair density report",
        "Author": "trichometry",
        "Creator": f"trichometry {report.provenance['trichometry_version']}",
        "CreationDate": when,
        "ModDate": when,
    }
    buf = io.BytesIO()
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)  # core-font lookups warn about weights they then resolve
    try:
        rc = _RC_CORE if _latin1(report) else _RC_UNICODE
        with matplotlib.rc_context(rc), PdfPages(buf, metadata=meta) as pdf:
            _overview(pdf, report)
            _table_pages(
                pdf,
                "Baseline by arm",
                *tables.baseline_table(report),
                cols=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
                note="Values at the baseline visit; tests compare each arm with the reference arm.",
            )
            _stats_pages(pdf, report)
            _plots(pdf, report)
            _trajectories(pdf, report)
            _table_pages(
                pdf,
                "Headline density change per subject",
                *tables.headline_table(report),
                cols=[1, 3, 4, 7, 8, 9, 10, 12, 13, 14, 21],
                note="Hair-to-hair change (registered photos) where available, else independent counts; "
                "95% intervals; DISAGREE = intervals do not overlap.",
                width=12,
            )
            listing = tables.subject_listing(report)
            _table_pages(
                pdf,
                f"Listing: {report.config.responder_param}",
                *listing,
                cols=[i for i, h in enumerate(listing[0]) if not h.endswith(" AVAL")],
                note=tables.param_title(report, report.config.responder_param)
                + " per subject; empty = missing.",
                width=16,
            )
            _table_pages(pdf, "Missing visits", *tables.missing_table(report))
            _provenance_pages(pdf, report)
            _table_pages(pdf, "Images", *tables.images_table(report), cols=[0, 1, 2, 3, 4, 5, 6], width=64)
    finally:
        fm_log.setLevel(level)
    return buf.getvalue()
