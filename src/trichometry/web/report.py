"""The patient report: a PDF with the headline change per window, the timeline, plots and provenance."""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from trichometry import __version__
from trichometry.clinic.course import METRICS, SubjectCourse
from trichometry.web.plots import timeline_figure


def _fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _ci(i: Any, digits: int = 1) -> str:
    """``estimate [low, high]`` of an interval."""
    return f"{_fmt(_val(i.estimate), digits)} [{_fmt(_val(i.low), digits)}, {_fmt(_val(i.high), digits)}]"


def _val(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _table_page(course: SubjectCourse) -> Figure:
    subject, rows = course.subject, course.rows
    fig = Figure(figsize=(8.27, 11.69))
    fig.text(0.07, 0.95, f"Trichometry report: subject {subject.code}", fontsize=15, weight="bold")
    fig.text(
        0.07,
        0.925,
        f"Site {subject.site.code}. Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"trichometry {__version__}.",
        fontsize=8,
    )
    y = 0.895
    fig.text(0.07, y, "Change since baseline per window (density, hairs/cm²; 95 % intervals)",
             fontsize=10, weight="bold")  # fmt: skip
    y -= 0.022
    for h in course.headlines:
        pct = _fmt(_val(h.change_pct))
        lead = f"{h.window} ({h.visit}, day {h.day}): {_ci(h.change)} /cm² ({pct} %), {h.measure}"
        other = f"independent counts {_ci(h.independent)}"
        if h.matched is not None:
            other += f"; matched {h.matched.matched:.0f}, lost {h.matched.lost:.0f}, new {h.matched.new:.0f}"
            other += f"; thickness {_ci(h.matched.thickness, 2)} µm"
        fig.text(0.07, y, lead, fontsize=7.5, weight="bold")
        fig.text(0.09, y - 0.014, other, fontsize=6.5)
        fig.text(0.09, y - 0.027, h.sentence(), fontsize=6.5, style="italic", wrap=True)
        y -= 0.045
    if not course.headlines:
        fig.text(0.07, y, course.note or "Needs an analysed baseline and follow-up visit.", fontsize=7)
        y -= 0.02
    y -= 0.01
    header = [
        "date",
        "window",
        "site",
        "photos",
        "density",
        "non-vellus",
        "thickness µm",
        "vellus %",
        "Δ density",
    ]
    lines = ["  ".join(f"{h:>11}" for h in header)]
    for r in rows:
        v = r.values
        window = r.window or "-"
        if r.window and not (r.is_baseline or r.analysed_for_window):
            window += "*"
        cells = [
            r.visit.visit_date.isoformat(),
            window,
            r.visit.target_site[:11],
            f"{r.analysed}/{r.photos}",
            _fmt(v.get("density_per_cm2")),
            _fmt(v.get("nonvellus_density_per_cm2")),
            _fmt(v.get("mean_thickness_um")),
            _fmt(v.get("vellus_share_pct")),
            _fmt(r.change.get("density_per_cm2")),
        ]
        lines.append("  ".join(f"{c:>11}" for c in cells))
    fig.text(0.07, y, "\n".join(lines), family="monospace", fontsize=6.5, va="top")
    y -= 0.016 * (len(lines) + 2)
    fig.text(0.07, y, "Provenance of the analyses used", fontsize=10, weight="bold")
    y -= 0.02
    prov = []
    for r in rows:
        for a in r.analyses:
            prov.append(
                f"{r.visit.visit_date} analysis {a.id}: image {a.image_sha256[:16]}, {a.method} "
                f"{a.model_name} {a.model_version}, weights {a.weights_sha256[:12]}, "
                f"code {a.code_version}, config {a.config_hash[:12]}"
            )
    fig.text(0.07, y, "\n".join(prov[:30]) or "none", family="monospace", fontsize=5.5, va="top")
    units = ", ".join(f"{label} in {unit}" for label, unit, _ in METRICS.values())
    fig.text(
        0.07,
        0.03,
        f"Units: {units}. Values are means over a visit's photos; rejected photos carry no numbers. "
        "* = not the visit analysed for its window (another is closer to the target day).",
        fontsize=6,
    )
    return fig


def subject_report_pdf(course: SubjectCourse) -> bytes:
    """PDF bytes: page 1 headline changes, timeline table and provenance; page 2 the plots."""
    buf = io.BytesIO()
    with PdfPages(
        buf, metadata={"Title": f"Trichometry report {course.subject.code}", "Creator": "trichometry"}
    ) as pdf:
        pdf.savefig(_table_page(course))
        pdf.savefig(timeline_figure(course))
    return buf.getvalue()
