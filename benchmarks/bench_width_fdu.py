"""Real-data check of the width estimator: FDU `undersize` hairs against the others.

The FDU labels (``../shared/data/fdu``, read in place, never copied) give one box per
hair shaft and mark thin hairs ``undersize``; they give no widths. For every box of the
chosen split the shaft is taken along the box diagonal that is darker (a clipped hair is
short and nearly straight), cross-sections are cut over its middle 70 %, the image's blur
is read from its thick shafts (:func:`~trichometry.measure.optics_width.estimate_blur`)
and each hair is measured with the estimator the engine uses (``--method``), twice: first
with a 56 um hint, then with its own first estimate. Reported: the widths (um at
2.8 um/px) per label, the AUC of width for telling ``undersize`` from ``premium`` and
``single`` hairs (1.0: every undersize hair narrower), the medians, and how many boxes
could not be measured.

    python benchmarks/bench_width_fdu.py --split val --out benchmarks/results/width_fdu

writes ``results.json`` and ``widths.png`` (the two distributions) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from trichometry.data.voc import FDU_UM_PER_PX, iter_voc
from trichometry.evaluation.yardstick import width_auc as auc
from trichometry.measure.optics_width import estimate_blur, optics_width
from trichometry.measure.thickness import darkness, section_profiles, widths_from_sections
from trichometry.measure.trace import sample
from trichometry.utils.atomic import atomic_write_text

HINT_UM = 56.0
OTHERS = ("premium", "single")


def shaft_line(dark: np.ndarray, box: np.ndarray) -> np.ndarray:
    """``(2, 2)`` the middle 70 % of the box diagonal along which the image is darker."""
    x0, y0, x1, y1 = (float(v) for v in box)
    best, line = -np.inf, None
    for a, b in (((x0, y0), (x1, y1)), ((x0, y1), (x1, y0))):
        a, b = np.asarray(a), np.asarray(b)
        q = np.linspace(0.15, 0.85, 15)[:, None]
        pts = a + q * (b - a)
        v = float(sample(dark, pts[:, 0], pts[:, 1]).mean())
        if v > best:
            best, line = v, np.stack([a + 0.15 * (b - a), a + 0.85 * (b - a)])
    return line


def measure_boxes(dark: np.ndarray, boxes: np.ndarray, upp: float, method: str) -> tuple[list, float]:
    """Width (um) of every box's shaft (``None`` where unmeasured) and the image's blur (px)."""
    lines = [shaft_line(dark, b) for b in boxes]
    hint = HINT_UM / upp

    def sections(line, d):  # 18 sections spread over the line
        reach = float(np.hypot(*(line[1] - line[0]))) / d
        return section_profiles(dark, line, d, start_d=0.0, span_d=reach / 2, search_d=reach, n_sections=9)

    first = [sections(line, hint) for line in lines]
    blur, _ = estimate_blur([(*s, hint) for s in first if s is not None])
    out = []
    for line, s in zip(lines, first):
        w = _width(s, hint, blur, method)
        if w is not None:  # again, with the hair's own width setting the sections
            w2 = _width(sections(line, max(w, 2.0)), max(w, 2.0), blur, method)
            w = w2 if w2 is not None else w
        out.append(None if w is None else w * upp)
    return out, blur


def _width(sec, d: float, blur: float, method: str) -> float | None:
    if method == "optics":
        return optics_width(*(sec if sec is not None else (None, None)), d, blur, max_sections=9).width_px
    return widths_from_sections(sec, d, n_sections=9, method=method).width_px


def plot(by_label: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 160, 41)
    for name in ("undersize", *OTHERS):
        v = by_label.get(name, [])
        if v:
            ax.hist(v, bins=bins, histtype="step", lw=1.6, density=True, label=f"{name} (n={len(v)})")
    ax.axvspan(60, 100, color="0.9", zorder=0, label="terminal 60-100 um")
    ax.set_xlabel("measured shaft width (um, 2.8 um/px)")
    ax.set_ylabel("share of hairs")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--fdu-root", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "fdu"
    )
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=0, help="first N photos only (0: all)")
    ap.add_argument("--method", default="optics", help="optics, edge or half_depth")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/width_fdu"))
    args = ap.parse_args(argv)
    if not args.fdu_root.is_dir():
        print(f"no FDU data at {args.fdu_root}: pass --fdu-root", file=sys.stderr)
        return 2
    by_label: dict[str, list[float]] = {}
    missing: dict[str, int] = {}
    blurs = []
    for k, item in enumerate(iter_voc(args.fdu_root, args.split)):
        if args.limit and k >= args.limit:
            break
        widths, blur = measure_boxes(darkness(item.image), item.boxes, FDU_UM_PER_PX, args.method)
        blurs.append(blur)
        for w, label in zip(widths, item.labels):
            if w is None:
                missing[label] = missing.get(label, 0) + 1
            else:
                by_label.setdefault(label, []).append(w)
    under = np.asarray(by_label.get("undersize", []))
    others = np.concatenate([np.asarray(by_label.get(n, [])) for n in OTHERS])
    res = {
        "command": " ".join(["python", "benchmarks/bench_width_fdu.py", *(argv or sys.argv[1:])]),
        "split": args.split,
        "method": args.method,
        "photos": len(blurs),
        "blur_px_median": float(np.median(blurs)) if blurs else None,
        "auc_undersize_vs_others": round(auc(under, others), 3),
        "median_um": {n: round(float(np.median(v)), 1) for n, v in by_label.items() if v},
        "quartiles_um": {
            n: [round(float(q), 1) for q in np.percentile(v, [25, 75])] for n, v in by_label.items() if v
        },
        "measured": {n: len(v) for n, v in by_label.items()},
        "unmeasured": missing,
        "others_median_um": round(float(np.median(others)), 1) if len(others) else None,
    }
    print(json.dumps(res, indent=2))
    atomic_write_text(args.out / "results.json", json.dumps(res, indent=2))
    plot(by_label, args.out / "widths.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
