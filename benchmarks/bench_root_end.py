"""The photo's root-end cue on hand-marked hairs, with the marked diagonals as segments.

Reads root ends marked by eye (``benchmarks/labels/fdu_tune_roots.csv`` by default: the
tune photos, on which the cue's window was chosen; ``--marks`` the val file to check it)
and the FDU photos they belong to (``--fdu-root``, never copied). For each window of
:data:`WINDOWS` (share of the segment read as "the end"): the share of marked hairs whose
root :func:`~trichometry.inference.root_end.end_cue` puts at the right end, and the share
after :func:`~trichometry.inference.root_end.orient_by_cue` (each photo's segments handed
over in a random orientation, then the stream settles the disagreeing ones).

Usage::

    python benchmarks/bench_root_end.py                    # the figures in inference/root_end.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

import trichometry.inference.root_end as root_end
from trichometry.evaluation.yardstick import read_root_marks
from trichometry.inference.segments import SegmentHairs

HERE = Path(__file__).resolve().parent
WINDOWS = ((0.02, 0.12), (0.04, 0.2), (0.05, 0.3))
WIDTH_PX = 22.0  # a terminal shaft at 2.8 um/px


def score(marks: dict[str, np.ndarray], fdu_root: Path) -> tuple[float, float, int]:
    """(cue alone, cue then stream, hairs) with ``root_end.END`` as it is set."""
    n = alone = settled = 0
    for image_id, m in marks.items():
        img = cv2.cvtColor(cv2.imread(str(fdu_root / "images" / f"{image_id}.jpg")), cv2.COLOR_BGR2RGB)
        r, t = m[:, 0:2], m[:, 2:4]
        alone += int((root_end.end_cue(img, r, t, WIDTH_PX) > 0).sum())
        flip = np.random.default_rng(0).random(len(m)) < 0.5
        a, b = np.where(flip[:, None], t, r), np.where(flip[:, None], r, t)
        hairs = SegmentHairs(a, b, (a + b) / 2, np.ones(len(m)), np.full(len(m), WIDTH_PX))
        out = root_end.orient_by_cue(img, hairs)
        settled += int((np.hypot(*(out.roots - r).T) < 1e-6).sum())
        n += len(m)
    return alone / n, settled / n, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--marks", type=Path, default=HERE / "labels" / "fdu_tune_roots.csv")
    ap.add_argument("--fdu-root", type=Path, default=HERE.parents[1] / "shared" / "data" / "fdu")
    args = ap.parse_args()
    marks = read_root_marks(args.marks)
    shipped = root_end.END
    print(f"{args.marks.name}: {sum(len(m) for m in marks.values())} hairs on {len(marks)} photos")
    print("| end window | cue alone % | cue, then stream % |\n|---|---|---|")
    for window in WINDOWS:
        root_end.END = window
        alone, settled, _ = score(marks, args.fdu_root)
        mark = " (shipped)" if window == shipped else ""
        print(f"| {window[0]:g}-{window[1]:g}{mark} | {100 * alone:.1f} | {100 * settled:.1f} |")
    root_end.END = shipped
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
