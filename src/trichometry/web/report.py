"""The patient report: a PDF with the timeline table, the plots and provenance."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from trichometry import __version__
from trichometry.store import Subject
from trichometry.web.plots import timeline_figure
from trichometry.web.timeline import METRICS, VisitRow


def _fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _table_page(subject: Subject, rows: list[VisitRow], comparisons: list[dict[str, Any]]) -> Figure:
    fig = Figure(figsize=(8.27, 11.69))
    fig.text(0.07, 0.95, f"Trichometry report: subject {subject.code}", fontsize=15, weight="bold")
    fig.text(
        0.07,
        0.925,
        f"Site {subject.site.code}. Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"trichometry {__version__}.",
        fontsize=8,
    )
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
        vs = v.get("vellus_share")
        cells = [
            r.visit.visit_date.isoformat(),
            r.window or "-",
            r.visit.target_site[:11],
            f"{r.analysed}/{r.photos}",
            _fmt(v.get("density_per_cm2")),
            _fmt(v.get("nonvellus_density_per_cm2")),
            _fmt(v.get("mean_thickness_um")),
            _fmt(None if vs is None else 100 * vs),
            _fmt(r.change.get("density_per_cm2")),
        ]
        lines.append("  ".join(f"{c:>11}" for c in cells))
    fig.text(0.07, 0.89, "\n".join(lines), family="monospace", fontsize=6.5, va="top")
    y = 0.89 - 0.016 * (len(lines) + 2)
    fig.text(
        0.07,
        y,
        "Hair-to-hair comparison with baseline (first photo of each visit)",
        fontsize=10,
        weight="bold",
    )
    y -= 0.025
    for c in comparisons:
        if "record" in c:
            rec = c["record"]
            text = (
                f"{c['date']} ({c['window'] or '-'}): matched {rec['matched']}, lost {rec['lost']}, "
                f"new {rec['new']}, "
                f"density change {_fmt(rec.get('density_change_per_cm2'))} /cm², "
                f"thickness change {_fmt(rec.get('mean_thickness_change_um'), 2)} µm"
            )
        else:
            text = f"{c['date']}: not compared ({c['error']})"
        fig.text(0.07, y, text, fontsize=7)
        y -= 0.018
    y -= 0.02
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
    fig.text(0.07, y, "\n".join(prov[:40]) or "none", family="monospace", fontsize=5.5, va="top")
    units = ", ".join(f"{label} in {unit}" for label, unit in METRICS.values())
    fig.text(
        0.07,
        0.03,
        f"Units: {units}. Values are means over a visit's photos; rejected photos excluded.",
        fontsize=6,
    )
    return fig


def subject_report_pdf(subject: Subject, rows: list[VisitRow], comparisons: list[dict[str, Any]]) -> bytes:
    """PDF bytes: page 1 table + comparison + provenance, page 2 the timeline plots."""
    buf = io.BytesIO()
    with PdfPages(
        buf, metadata={"Title": f"Trichometry report {subject.code}", "Creator": "trichometry"}
    ) as pdf:
        pdf.savefig(_table_page(subject, rows, comparisons))
        pdf.savefig(timeline_figure(rows))
    return buf.getvalue()
