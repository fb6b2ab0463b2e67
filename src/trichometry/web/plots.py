"""Server-side plots (matplotlib, Agg; no pyplot state, so safe in worker threads)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from trichometry.clinic.course import METRICS, SubjectCourse

DEFAULT_PANELS = ("density_per_cm2", "nonvellus_density_per_cm2", "mean_thickness_um", "vellus_share_pct")


def panels(course: SubjectCourse) -> list[str]:
    """The panels worth drawing: non-vellus density only where it differs from density (with
    no vellus hair it would repeat the density panel), vellus share always."""
    same = all(
        r.values.get("nonvellus_density_per_cm2") == r.values.get("density_per_cm2") for r in course.rows
    )
    return [k for k in DEFAULT_PANELS if not (same and k == "nonvellus_density_per_cm2")]


def timeline_figure(course: SubjectCourse, metrics: list[str] | None = None) -> Figure:
    """One panel per metric: value per visit against its date, with its 95 % interval.

    Density intervals are Poisson on the hair counts, thickness intervals the spread of the
    measured hairs (:mod:`trichometry.reports.intervals`). The baseline value is a dashed
    line, treatment sessions are marked on the time axis, and a visit that is not the one
    analysed for its window is drawn hollow.
    """
    metrics = metrics or panels(course)
    fig = Figure(figsize=(7.5, 2.1 * len(metrics) + 0.4), layout="constrained")
    axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, metrics):
        label, unit, _ = METRICS[key]
        rows = [r for r in course.rows if r.values.get(key) is not None]
        for r in rows:
            v, lo, hi = r.values[key], r.low.get(key), r.high.get(key)
            err = None if lo is None or hi is None else [[v - lo], [hi - v]]
            ax.errorbar([r.visit.visit_date], [v], yerr=err, fmt="o", color="#2a6f97", capsize=3,
                        mfc="#2a6f97" if r.analysed_for_window or r.is_baseline else "white")  # fmt: skip
        if rows:
            ax.plot([r.visit.visit_date for r in rows], [r.values[key] for r in rows], color="#2a6f97", lw=1)
            base = next((r for r in rows if r.is_baseline), None)
            if base is not None:
                ax.axhline(base.values[key], color="#999999", lw=0.8, ls="--")
        else:
            ax.text(0.5, 0.5, "no analysed photos yet", ha="center", va="center", transform=ax.transAxes)
        for t in course.treatments:
            ax.axvline(t.session_date, color="#c44e52", lw=0.8, alpha=0.6)
        ax.set_ylabel(f"{label}\n({unit})", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    if course.treatments:
        axes[0].plot([], [], color="#c44e52", lw=0.8, label="treatment session")
    axes[0].errorbar([], [], yerr=[], fmt="o", color="#2a6f97", capsize=3, label="visit mean, 95 % interval")
    axes[0].legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncol=2, fontsize=7, frameon=False)
    axes[-1].set_xlabel("visit date", fontsize=8)
    for label in axes[-1].get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    return fig


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """Render ``fig`` to PNG or SVG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    return buf.getvalue()
