"""Calibrate a checkpoint of any candidate family on tune data only, and write it for shipping.

Chosen here, never on the data a model is reported on:

* the **centre threshold** (``centre_threshold_raw``): the raw centre value at which a
  segment counts as a hair, picked from :data:`GRID` for the least count error. The error
  is the mean absolute percentage error per image, averaged over two sets weighted
  1 : ``scene_weight`` (equal by default; the shipped v3 uses the photos alone): the
  **tune** photos of a real box folder (every ``holdout_every``-th id of its ``train``
  split, which training never fitted; :func:`~.frame_hooks.box_ids`) and
  generated calibration scenes (seeds from :data:`CALIBRATION_SEED0`, apart from training
  and from the benchmarks' held-out seeds). Hairs are counted as the engine counts them:
  roots in the analysable area (burned-in overlays masked as ``analyze`` masks them).
* the **peak window** (``peak_window``, from :data:`WINDOWS`): a centre is the maximum of
  that many cells square; a wider window merges the several peaks of one flat ridge;
* **test-time flips** (``tta``): kept only if they lower that error (tried with the best
  window);
* the **orientation** (``orient``, from :data:`~trichometry.inference.candidates.ORIENTATIONS`):
  the network's own root end, that end turned to the image's hair stream
  (:func:`~trichometry.inference.segments.orient_with_stream`), or the photo's own cue
  (the faded, bluer end: :mod:`trichometry.inference.root_end`) then the stream. Where
  root ends marked by eye on tune photos are given (``root_marks``: a CSV as
  ``benchmarks/labels/fdu_tune_roots.csv``), the one that gets most of them right wins;
  otherwise the one that finds most exit points on the generated scenes (within 60 um,
  one to one).

The weights (and their SHA-256) are unchanged; optimiser state is dropped.

Run::

    trichometry model calibrate-candidates run/checkpoints/last.pt models/framenet_s.pt \\
        --boxes ../shared/data/fdu --scenes 40
"""

from __future__ import annotations

import argparse
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from trichometry.evaluation.metrics import point_detection
from trichometry.inference.candidates import CandidatePredictor
from trichometry.models.checkpoint import load_checkpoint
from trichometry.training.calibrate import run_record
from trichometry.utils.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

CALIBRATION_SEED0 = 800_000_000
GRID = tuple(round(0.16 + 0.02 * i, 2) for i in range(30))  # 0.16 .. 0.74
MATCH_UM = 60.0
WINDOWS = (3, 5, 7, 9)  # peak windows tried, in cells
ORIENTS = ("network", "stream", "cue")
MARK_MARGIN_PX = 10.0


@dataclass
class Item:
    """One tune image's raw hairs, its true count and where it can be analysed."""

    scores: np.ndarray  # raw centre values of hairs whose root is in the area
    n_true: int
    roots: np.ndarray | None = None  # generated scenes: every decoded root, strongest first
    all_scores: np.ndarray | None = None
    truth_xy: np.ndarray | None = None
    um: float = 1.0

    def count(self, t: float) -> int:
        return int((self.scores >= t).sum())


def _in_area(roots: np.ndarray, valid: np.ndarray) -> np.ndarray:
    h, w = valid.shape
    ij = np.round(roots[:, ::-1]).astype(int)
    ok = (ij[:, 0] >= 0) & (ij[:, 0] < h) & (ij[:, 1] >= 0) & (ij[:, 1] < w)
    ok[ok] = valid[ij[ok, 0], ij[ok, 1]]
    return ok


@dataclass
class Image:
    """A tune image held once for every setting tried."""

    image: np.ndarray
    um: float
    n_true: int
    valid: np.ndarray
    truth_xy: np.ndarray | None = None
    marks: np.ndarray | None = None  # hand-marked root ends: (N, 4) root x, y, tip x, y


def _image(image: np.ndarray, um: float, n_true: int, truth_xy: np.ndarray | None = None,
           marks: np.ndarray | None = None) -> Image:  # fmt: skip
    from trichometry.quality import detect_overlays

    overlay, _ = detect_overlays(image)  # masked as analyze masks burned-in overlays
    return Image(image, um, n_true, ~overlay, truth_xy, marks)


def _item(p: CandidatePredictor, im: Image) -> Item:
    hairs = p.predict(im.image, im.um, calibrated=False).hairs
    keep = _in_area(hairs.roots, im.valid)
    return Item(hairs.scores[keep], im.n_true, hairs.roots[keep], hairs.scores[keep], im.truth_xy, im.um)


def tune_photos(root: str | Path, holdout_every: int, um: float = 2.8,
                marks: dict[str, np.ndarray] | None = None) -> list[Image]:  # fmt: skip
    """The tune photos of a box folder (never its ``val`` split), with any root marks."""
    from trichometry.data.format import decode_image, read_bytes
    from trichometry.data.voc import find_voc_layout, read_voc_annotation
    from trichometry.training.frame_hooks import box_ids

    layout = find_voc_layout(root)
    out = []
    for image_id in tqdm(box_ids(layout, "tune", holdout_every), desc="tune photos", leave=False):
        ann, _, path = read_voc_annotation(layout, image_id, um_per_px=um)
        img = decode_image(read_bytes(path, "image"), path, color=True)
        out.append(_image(img, um, ann.count, marks=(marks or {}).get(image_id)))
    return out


def tune_scenes(n: int, size: tuple[int, int]) -> list[Image]:
    """Generated calibration scenes (exits of every hair inside the frame)."""
    from trichometry.synth import generate_sample

    out = []
    for i in tqdm(range(n), desc="tune scenes", leave=False):
        s = generate_sample(CALIBRATION_SEED0 + i, width=size[0], height=size[1])
        txy = np.array([h.exit_xy for h in s.truth.inside_hairs], float).reshape(-1, 2)
        out.append(_image(s.image, s.truth.um_per_px, len(txy), txy))
    return out


def mape(items: list[Item], t: float) -> float:
    rel = [abs(it.count(t) - it.n_true) / it.n_true for it in items if it.n_true > 0]
    return float(100 * np.mean(rel)) if rel else float("nan")


def exit_f1(items: list[Item], t: float) -> float:
    tp = n_pred = n_true = 0
    for it in items:
        pts = it.roots[it.all_scores >= t]
        tp += point_detection(pts, it.truth_xy, MATCH_UM / it.um).tp
        n_pred, n_true = n_pred + len(pts), n_true + len(it.truth_xy)
    return 2 * tp / (n_pred + n_true) if n_pred + n_true else 1.0


def root_accuracy(p: CandidatePredictor, photos: list[Image], t: float) -> dict[str, float]:
    """Found and correct hand-marked root ends on the photos that have marks, hairs at
    raw threshold ``t`` (:func:`~trichometry.evaluation.yardstick.root_end_matches`)."""
    from trichometry.evaluation.yardstick import root_end_matches

    found = correct = marked = 0
    for im in photos:
        if im.marks is None or not len(im.marks):
            continue
        hairs = p.predict(im.image, im.um, calibrated=False).hairs
        f, c = root_end_matches(hairs.roots[hairs.scores >= t], im.marks, MARK_MARGIN_PX)
        found, correct, marked = found + f, correct + c, marked + len(im.marks)
    return {"marked": marked, "found": found, "accuracy": correct / found if found else None}


def objective(sets: list[list[Item]], t: float, weights: list[float] | None = None) -> float:
    """Weighted mean of the sets' count MAPE at raw threshold ``t`` (empty sets left out)."""
    w = weights or [1.0] * len(sets)
    used = [(wi, mape(s, t)) for wi, s in zip(w, sets) if s and wi > 0]
    return float(sum(wi * m for wi, m in used) / sum(wi for wi, _ in used)) if used else float("nan")


def calibrate_candidates(
    src: str | Path,
    dst: str | Path,
    boxes: str | Path | None,
    scenes: int = 40,
    size: tuple[int, int] = (640, 512),
    device: str = "auto",
    try_flips: bool = True,
    run_with: dict[str, Any] | None = None,
    root_marks: str | Path | None = None,
    scene_weight: float = 1.0,
) -> dict[str, Any]:
    """Write ``dst``: ``src`` with chosen ``postprocessing`` and without training state
    (``run_with``, the command and its arguments, stored in ``postprocessing["run_with"]``)."""
    ckpt = load_checkpoint(src)
    holdout = int(((ckpt.get("config") or {}).get("data") or {}).get("fdu_holdout_every", 10))
    marks = None
    if root_marks:
        from trichometry.evaluation.yardstick import read_root_marks

        marks = read_root_marks(root_marks)
    photos = tune_photos(boxes, holdout, marks=marks) if boxes else []
    generated = tune_scenes(scenes, size) if scenes else []
    p = CandidatePredictor(src, device=device, tta="none")
    p.orient = "network"  # counts do not depend on it; exits are judged below

    def trial(window: int, tta: str) -> dict[str, Any]:
        p.peak_window, p.tta = window, tta
        real, synth = [_item(p, im) for im in photos], [_item(p, im) for im in generated]
        table = {t: objective([real, synth], t, [1.0, scene_weight]) for t in GRID}
        t = min(table, key=table.get)
        logger.info("window %d, tta=%s: raw threshold %.2f, mean MAPE %.2f %%", window, tta, t, table[t])
        return {"window": window, "tta": tta, "t": t, "objective": table[t], "real": real, "synth": synth}

    trials = [trial(w, "none") for w in WINDOWS]
    best = min(trials, key=lambda r: r["objective"])
    if try_flips:
        trials.append(trial(best["window"], "flips"))
        best = min(trials, key=lambda r: r["objective"])
    p.peak_window, p.tta, t_star = best["window"], best["tta"], best["t"]
    f1, roots = {}, {}
    for orient in ORIENTS:
        p.orient = orient
        f1[orient] = exit_f1([_item(p, im) for im in generated], t_star) if generated else float("nan")
        roots[orient] = root_accuracy(p, photos, t_star)
    if any(r["found"] for r in roots.values()):
        orient = max(ORIENTS, key=lambda o: (roots[o]["accuracy"] or 0.0, np.nan_to_num(f1[o])))
    else:
        orient = max(ORIENTS, key=lambda o: np.nan_to_num(f1[o]))
    post = {
        "centre_threshold_raw": t_star,
        "peak_window": best["window"],
        "orient": orient,
        "tta": best["tta"],
        "calibration": {
            "objective": f"count MAPE on tune photos and on generated scenes, weighted 1 : {scene_weight:g}",
            "tune_photos": {"root": str(boxes), "holdout_every": holdout, "images": len(photos)},
            "scenes": {"n": scenes, "seed0": CALIBRATION_SEED0, "size": list(size)},
            "mape_tune_photos_pct": mape(best["real"], t_star) if photos else None,
            "mape_scenes_pct": mape(best["synth"], t_star) if generated else None,
            "exit_f1_scenes": f1,
            "root_marks": {"file": str(root_marks) if root_marks else None, **{o: roots[o] for o in ORIENTS}},
            "trials": [{k: r[k] for k in ("window", "tta", "t", "objective")} for r in trials],
        },
    }
    for key in ("optimizer", "scheduler", "scaler"):
        ckpt.pop(key, None)
    post["run_with"] = run_with or run_record(
        "calibrate-candidates", {"src": str(src), "dst": str(dst), "boxes": str(boxes), "scenes": scenes}
    )
    ckpt["postprocessing"] = post
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(dst, buf.getvalue())
    return post


def main(argv: list[str] | None = None) -> None:
    """Command-line entry; prints the stored post-processing as JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--boxes", default=None, help="Pascal-VOC folder; its train split's tune ids are used")
    ap.add_argument("--scenes", type=int, default=40)
    ap.add_argument("--scene-size", type=int, nargs=2, default=(640, 512), metavar=("W", "H"))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--no-flips", action="store_true", help="do not try test-time flips")
    ap.add_argument("--root-marks", default=None, help="root ends marked by eye on tune photos (CSV)")
    ap.add_argument(
        "--scene-weight",
        type=float,
        default=1.0,
        help="weight of the generated scenes' count error beside the tune photos' (0: photos only)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    post = calibrate_candidates(
        args.src,
        args.dst,
        args.boxes,
        args.scenes,
        tuple(args.scene_size),
        args.device,
        not args.no_flips,
        run_with=run_record("calibrate-candidates", vars(args)),
        root_marks=args.root_marks,
        scene_weight=args.scene_weight,
    )
    print(json.dumps(post, indent=2))


if __name__ == "__main__":
    main()
