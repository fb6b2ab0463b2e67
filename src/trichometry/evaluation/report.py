"""The evaluation report: ``results.json``, ``report.md`` and matplotlib plots.

Everything is rendered in memory first and then written atomically file by file, so a
failure while plotting leaves no half-written report.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from trichometry.evaluation.metrics import bland_altman
from trichometry.utils.atomic import atomic_write_bytes, atomic_write_text, ensure_writable_dir


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(float(obj)) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _fmt(v: Any, nd: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def plot_bland_altman(results: dict[str, Any]) -> bytes:
    """Bland-Altman plot of per-photo counts (method - truth vs mean), one panel per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(results["methods"])
    fig, axes = plt.subplots(1, len(methods), figsize=(4.5 * len(methods), 3.6), squeeze=False)
    for ax, m in zip(axes[0], methods):
        rows = results["methods"][m]["photo_rows"]
        p = np.array([r["pred_count"] for r in rows], dtype=float)
        t = np.array([r["true_count"] for r in rows], dtype=float)
        ba = bland_altman(p, t)
        ax.scatter((p + t) / 2, p - t, s=10, alpha=0.7)
        for y, style in ((ba.bias, "-"), (ba.lower, "--"), (ba.upper, "--")):
            if math.isfinite(y):
                ax.axhline(y, color="k", ls=style, lw=1)
        ax.set_title(f"{m}: bias {_fmt(ba.bias)}, LoA [{_fmt(ba.lower)}, {_fmt(ba.upper)}]", fontsize=9)
        ax.set_xlabel("mean of method and truth (hairs)")
        ax.set_ylabel("method - truth (hairs)")
    return _png(fig)


def plot_change_errors(results: dict[str, Any]) -> bytes:
    """Density-change error per visit (pp), matching vs independent counts, per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(results["methods"])
    fig, axes = plt.subplots(1, len(methods), figsize=(4.5 * len(methods), 3.6), squeeze=False)
    for ax, m in zip(axes[0], methods):
        rows = [r for r in results["methods"][m]["visits"] if r.get("registered")]
        first_day: dict[str, int] = {}
        for r in rows:
            w = r["window"] or "none"
            first_day[w] = min(first_day.get(w, r["day"]), r["day"])
        wins = sorted(first_day, key=first_day.__getitem__)
        data, labels = [], []
        for w in wins:
            sel = [r for r in rows if (r["window"] or "none") == w]
            data += [[r["matched_change_pct"] - r["true_change_pct"] for r in sel],
                     [r["independent_change_pct"] - r["true_change_pct"] for r in sel]]  # fmt: skip
            labels += [f"{w}\nmatch", f"{w}\nindep"]
        if data:
            ax.boxplot(data, tick_labels=labels)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_title(f"{m}: density-change error", fontsize=9)
        ax.set_ylabel("estimate - truth (percentage points)")
        ax.tick_params(axis="x", labelsize=7)
    return _png(fig)


_COMBINE = {
    "consensus": "a visit's repeated photos first vote on its hairs (kept where most photos covering the "
    "place found one), and the two visits' consensuses are matched once (`visit_combine=consensus`); "
    "*photo-pair matching*: the same visits with the mean change over every baseline x follow-up photo "
    "pair instead, each against the truth of its own skin.",
    "pairs": "with several photos per visit, the mean change over every baseline x follow-up photo pair "
    "(`visit_combine=pairs`).",
}


def render_markdown(results: dict[str, Any], title: str) -> str:
    """The human-readable report (methods side by side)."""
    methods = list(results["methods"])
    res = results["methods"]
    lines = [
        f"# {title}",
        "",
        f"Cohort: {results['cohort']}",
        "",
        "Definitions. *matching*: the follow-up registered onto the baseline photo, hairs paired one to "
        "one, change = new - lost in the same skin (target circle or common field); "
        + _COMBINE.get(str(results.get("visit_combine", "pairs")), "")
        + " *independent*: each "
        "photo counted on its own (circle around its own centre, or whole frame), change of the visit "
        "means. *truth*: the generator's hairs in the same skin, by follicle identity. Errors are "
        "estimate - truth in percentage points of the baseline count. MDC95 = 1.96 x sqrt(2) x SEM of "
        "density over repeated photos of one visit.",
        "",
        "## Detection (per photo)",
        "",
    ]
    lines += ["| measure | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    rows = [
        ("photos scored", lambda r: r["photos"]["n_photos"]),
        ("photos rejected by quality control (left out)", lambda r: r["photos"].get("n_rejected", 0)),
        ("exit-point F1", lambda r: r["photos"]["detection"]["f1"]),
        ("precision", lambda r: r["photos"]["detection"]["precision"]),
        ("recall", lambda r: r["photos"]["detection"]["recall"]),
        ("count MAE (hairs)", lambda r: r["photos"]["count"]["mae"]),
        ("count MAPE (%)", lambda r: r["photos"]["count"]["mape_pct"]),
        ("count bias (hairs)", lambda r: r["photos"]["count"]["ba_bias"]),
        ("count 95 % LoA low", lambda r: r["photos"]["count"]["ba_lower"]),
        ("count 95 % LoA high", lambda r: r["photos"]["count"]["ba_upper"]),
        ("thickness MAE (um)", lambda r: r["photos"]["thickness_error_um"]["mae"]),
        ("thickness bias (um)", lambda r: r["photos"]["thickness_error_um"]["bias"]),
        ("Dice (shaft)", lambda r: r["photos"]["dice"]),
        ("clDice (shaft)", lambda r: r["photos"]["cl_dice"]),
        ("MDC95 density, independent (%)", lambda r: r["repeatability_density"]["independent"]["mdc95_pct"]),
        ("MDC95 density, matched (%)", lambda r: r["repeatability_density"]["matched_overlap"]["mdc95_pct"]),
    ]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(_fmt(get(res[m])) for m in methods) + " |")
    lines += [
        "",
        "## Density change per window (error vs truth in the same common field, percentage points)",
        "",
    ]
    lines += ["| method | window | visits | reg. failures | true change (%) | matching MAE | matching bias "
              "| photo-pair matching MAE | independent MAE | independent bias | thickness-change MAE (um) "
              "| 95 % CI coverage |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for m in methods:
        for w, s in res[m]["change"].items():
            pairs = s.get("pairs_error_pp") or {}
            lines.append(
                f"| {m} | {w} | {s['n_visits']} | {s['registration_failures']} "
                f"| {_fmt(s['mean_true_change_pct'])} "
                f"| {_fmt(s['matched_error_pp']['mae'])} | {_fmt(s['matched_error_pp']['bias'])} "
                f"| {_fmt(pairs.get('mae'))} "
                f"| {_fmt(s['independent_error_pp']['mae'])} | {_fmt(s['independent_error_pp']['bias'])} "
                f"| {_fmt(s['thickness_change_error_um']['mae'])} | {_fmt(s['matched_interval_coverage'])} |"
            )
    lines += [
        "",
        "## Density change against the fixed target circle (generator truth, percentage points)",
        "",
        "| method | window | matching MAE | matching bias | independent MAE | independent bias |",
        "|---|---|---|---|---|---|",
    ]
    for m in methods:
        for w, s in res[m]["change"].items():
            mt, it = s["matched_error_vs_target_pp"], s["independent_error_vs_target_pp"]
            lines.append(
                f"| {m} | {w} | {_fmt(mt['mae'])} | {_fmt(mt['bias'])} "
                f"| {_fmt(it['mae'])} | {_fmt(it['bias'])} |"
            )
    lines += ["", "![Bland-Altman of counts](bland_altman_counts.png)", "",
              "![Density-change error](change_error.png)", ""]  # fmt: skip
    return "\n".join(lines)


def write_report(results: dict[str, Any], out_dir: Path, *, title: str, config: dict[str, Any]) -> Path:
    """Write ``results.json``, ``report.md`` and the plots into ``out_dir``; returns the report path."""
    out = ensure_writable_dir(out_dir)
    payload = json.dumps(_json_safe({"title": title, "config": config, **results}), indent=1)
    md = render_markdown(_json_safe(results), title)
    ba = plot_bland_altman(results)
    ce = plot_change_errors(results)
    atomic_write_bytes(out / "bland_altman_counts.png", ba)
    atomic_write_bytes(out / "change_error.png", ce)
    atomic_write_text(out / "results.json", payload)
    return atomic_write_text(out / "report.md", md)
