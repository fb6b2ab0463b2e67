"""Server-side plots (matplotlib, Agg; no pyplot state, so safe in worker threads)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from trichometry.web.timeline import METRICS, VisitRow


def timeline_figure(rows: list[VisitRow], metrics: list[str] | None = None) -> Figure:
    """One panel per metric: value per visit against the visit date."""
    metrics = metrics or list(METRICS)
    fig = Figure(figsize=(7.5, 2.0 * len(metrics)), layout="constrained")
    axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, metrics):
        label, unit = METRICS[key]
        pts = [(r.visit.visit_date, r.values.get(key)) for r in rows if r.values.get(key) is not None]
        if pts:
            dates, values = zip(*pts)
            ax.plot(dates, values, marker="o", color="#2a6f97")
            ax.axhline(values[0], color="#999999", lw=0.8, ls="--")
        else:
            ax.text(0.5, 0.5, "no analysed photos yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylabel(f"{label}\n({unit})", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    axes[-1].set_xlabel("visit date", fontsize=8)
    fig.autofmt_xdate()
    return fig


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """Render ``fig`` to PNG or SVG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    return buf.getvalue()
