"""Side-by-side picture of a hair-to-hair comparison, and its JSON record.

Baseline on the left, follow-up on the right; matched hairs in green, lost hairs (on the
baseline) in red, new hairs (on the follow-up) in blue, each of these two numbered as in the
per-hair table (the numbers the subject page's join form lists), thickened / thinned hairs
ringed in orange / purple; hairs outside the common field in grey. A rescued hair (a
faint peak that a confident hair at the other visit kept, see :mod:`.rescue`) is drawn as
a diamond instead of a ring. The common field is outlined on both photos.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from trichometry.visits import similarity as sim
from trichometry.visits.change import PairChange
from trichometry.visits.matching import HairMatching

COLOURS = {
    "kept": "#2ca02c",
    "thickened": "#ff7f0e",
    "thinned": "#9467bd",
    "lost": "#d62728",
    "new": "#1f77b4",
    "outside": "#9e9e9e",
}


def comparison_record(m: HairMatching, change: PairChange) -> dict[str, Any]:
    """JSON-ready record of one comparison (counts, changes, registration, per-hair fates)."""
    b, f = m.base, m.follow
    rb, rf = m.rescued_masks()
    n_b, n_f = int((~rb).sum()), int((~rf).sum())
    record: dict[str, Any] = {
        "baseline_count": m.baseline_count,
        "followup_count": m.followup_count,
        "matched": m.matched,
        "lost": len(m.lost),
        "new": len(m.new),
        "rescued": m.rescued,
        "thickened": int(change.thickened),
        "thinned": int(change.thinned),
        "overlap_area_cm2": round(m.overlap_area_cm2, 6),
        "density_change_per_cm2": change.density_change_per_cm2.to_dict()["estimate"],
        "density_change_pct": change.density_change_pct.to_dict()["estimate"],
        "mean_thickness_change_um": change.mean_thickness_change_um.to_dict()["estimate"],
        "intervals_95": {
            "density_change_per_cm2": change.density_change_per_cm2.to_dict(),
            "density_change_pct": change.density_change_pct.to_dict(),
            "non_vellus_change_per_cm2": change.non_vellus_change_per_cm2.to_dict(),
            "mean_thickness_change_um": change.mean_thickness_change_um.to_dict(),
        },
        "summary": change.to_dict(),
        "whole_frame": {  # detected hairs only (rescued candidates are appended after them)
            "baseline_count": n_b,
            "followup_count": n_f,
            "baseline_density_per_cm2": round(n_b / b.area_cm2, 3),
            "followup_density_per_cm2": round(n_f / f.area_cm2, 3),
        },
        "registration": m.registration.to_dict(),
        "matching": {
            "max_distance_um": m.config.max_distance_um,
            "thickness_change_um": m.config.thickness_change_um,
            "non_vellus_um": m.config.non_vellus_um,
        },
    }

    def hair(points: Any, i: int, fate: str, rescued: bool) -> dict[str, Any]:
        d = float(points.diameter_um[i])
        return {"x_px": round(float(points.xy_px[i, 0]), 2), "y_px": round(float(points.xy_px[i, 1]), 2),
                "diameter_um": round(d, 2) if np.isfinite(d) else None, "fate": fate,
                "rescued": bool(rescued)}  # fmt: skip

    record["baseline_hairs"] = [hair(b, i, fate, rb[i]) for i, fate in enumerate(m.base_fates())]
    record["followup_hairs"] = [hair(f, j, fate, rf[j]) for j, fate in enumerate(m.follow_fates())]
    record["pairs"] = [[int(i), int(j)] for i, j in m.pairs]
    return _json_safe(record)


def _json_safe(obj: Any) -> Any:
    """NaN / infinity -> None, numpy scalars -> Python, recursively."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def render_overlay(
    m: HairMatching, base_image: np.ndarray, follow_image: np.ndarray, title: str = ""
) -> bytes:
    """PNG bytes of the side-by-side overlay (see module docstring and :func:`comparison_figure`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = comparison_figure(m, base_image, follow_image, title)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def comparison_figure(
    m: HairMatching, base_image: np.ndarray, follow_image: np.ndarray, title: str = ""
) -> Any:
    """The side-by-side figure: both photos with every hair's fate; the legend below the photos.

    Args:
        m: the matching (follow-up hairs at the baseline scale, as matched).
        base_image: ``(H, W, 3)`` uint8 RGB baseline photo.
        follow_image: follow-up photo at the same scale as ``m.follow`` (``(H', W', 3)``).
        title: figure title.

    Returns:
        a :class:`matplotlib.figure.Figure` (no pyplot state, so safe in server threads).
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(13, 5.6))
    axes = fig.subplots(1, 2)
    inv = sim.invert(m.registration.matrix)
    base_poly = sim.frame_polygon(m.base.width, m.base.height)
    foll_poly = sim.apply(m.registration.matrix, sim.frame_polygon(m.follow.width, m.follow.height))
    rb, rf = m.rescued_masks()
    panels = [
        (axes[0], base_image, m.base, m.base_fates(), rb, "baseline", foll_poly),
        (axes[1], follow_image, m.follow, m.follow_fates(), rf, "follow-up", sim.apply(inv, base_poly)),
    ]
    for ax, img, pts, fates, rescued, name, other in panels:
        ax.imshow(img)
        ring = np.vstack([other, other[:1]])
        ax.plot(ring[:, 0], ring[:, 1], color="yellow", lw=1.2, ls="--")
        fates_arr = np.array(fates, dtype=object)
        for fate, colour in COLOURS.items():
            sel = fates_arr == fate
            if not sel.any():
                continue
            x, y = pts.xy_px[sel, 0], pts.xy_px[sel, 1]
            if fate in ("lost", "new"):
                ax.scatter(x, y, s=70, marker="x" if fate == "lost" else "+", c=colour, linewidths=1.8)
                # numbered as in the per-hair table, so a reviewer can name a pair to join
                for k, xi, yi in zip(np.flatnonzero(sel), x, y):
                    ax.annotate(f"#{k}", (xi, yi), xytext=(5, 4), textcoords="offset points", fontsize=7,
                                color=colour, fontweight="bold")  # fmt: skip
            else:
                marker = np.where(rescued[sel], "D", "o")
                for mk in ("o", "D"):
                    k = marker == mk
                    if k.any():
                        ax.scatter(x[k], y[k], s=70 if mk == "o" else 55, marker=mk, facecolors="none",
                                   edgecolors=colour, linewidths=1.4)  # fmt: skip
        ax.set_xlim(-0.5, img.shape[1] - 0.5)
        ax.set_ylim(img.shape[0] - 0.5, -0.5)
        ax.set_title(f"{name}: {int(np.isin(fates_arr, list(COLOURS)[:5]).sum())} hairs in the common field")
        ax.axis("off")
    handles = [
        Line2D([], [], marker="o", ls="", mfc="none", mec=COLOURS["kept"], label=f"matched ({m.matched})"),
        Line2D([], [], marker="o", ls="", mfc="none", mec=COLOURS["thickened"], label="matched, thickened"),
        Line2D([], [], marker="o", ls="", mfc="none", mec=COLOURS["thinned"], label="matched, thinned"),
        Line2D([], [], marker="D", ls="", mfc="none", mec=COLOURS["kept"], label=f"rescued ({m.rescued})"),
        Line2D([], [], marker="x", ls="", color=COLOURS["lost"], label=f"lost ({len(m.lost)})"),
        Line2D([], [], marker="+", ls="", color=COLOURS["new"], label=f"new ({len(m.new)})"),
        Line2D([], [], marker="o", ls="", mfc="none", mec=COLOURS["outside"], label="outside common field"),
        Line2D([], [], color="yellow", ls="--", label="common field"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=8, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
