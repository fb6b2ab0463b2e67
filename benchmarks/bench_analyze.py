"""End-to-end benchmark: model vs classical baseline (and the measurement oracle).

Generated images (held out: seeds from 900000 up are never used for training or tuning)
and, when present, the real FDU validation images (``../shared/data/fdu``; never copied).

Per image: read (decode from encoded bytes through :func:`trichometry.io.read_image`),
quality check (overlay mask), infer (model / classical / oracle), measure; timings are
wall-clock on this machine's CPU. Metrics:

* count MAE and MAPE per image (MAPE over images with a non-zero true count);
* exit-point detection F1: generated images match exits one-to-one within
  ``--match-um`` (default 60 um); FDU images match an exit to a box when it lies inside
  the box grown by ``--box-margin-px`` (default 10 px), one-to-one by least distance to
  the box centre (boxes have no exit point, the shaft's root lies at one end);
* thickness MAE in um over matched hairs (generated only: FDU has no widths).

The truth count of a generated image is the number of hairs whose exit lies inside the
frame and outside burned-in overlays (the area measured), and FDU truth is the number of
usable (non-degenerate) boxes.

Usage::

    python benchmarks/bench_analyze.py --n-synth 20 --n-real 20 --out bench_out
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from trichometry.classical import ClassicalDetector
from trichometry.evaluation.metrics import point_detection
from trichometry.evaluation.yardstick import box_matches
from trichometry.io import read_image
from trichometry.measure import MeasureConfig, measure
from trichometry.measure.oracle import prediction_from_truth
from trichometry.quality.overlays import detect_overlays
from trichometry.utils.atomic import atomic_write_text

MEASURE_CONFIG = MeasureConfig()  # set from --profile-method
HELD_OUT_SEED0 = 900_000
FDU_UM_PER_PX = 2.8
log = logging.getLogger("bench_analyze")


def _detectors(want: list[str], model: Path | None = None) -> dict[str, Any]:
    dets: dict[str, Any] = {}
    for name in want:
        if name == "model":
            try:
                from trichometry.inference import load_default_predictor, load_predictor

                dets["model"] = (
                    load_predictor(model, device="cpu") if model else load_default_predictor(device="cpu")
                )
            except Exception as exc:  # no shipped model yet: say so and go on
                print(f"[skip] model: {exc}", file=sys.stderr)
        elif name == "classical":
            dets["classical"] = ClassicalDetector()
        elif name == "oracle":
            dets["oracle"] = "oracle"
    return dets


def _run_one(
    det: Any, encoded: bytes, um: float, sample: Any = None
) -> tuple[Any, dict[str, float], np.ndarray]:
    t0 = time.perf_counter()
    img = read_image(encoded, um_per_px=um).image
    t1 = time.perf_counter()
    overlay, _ = detect_overlays(img)
    valid = ~overlay
    t2 = time.perf_counter()
    if det == "oracle":
        pred = prediction_from_truth(sample)
    elif isinstance(det, ClassicalDetector):
        pred = det.predict(img, um, valid_mask=valid)  # reuse the QC overlay mask
    else:
        pred = det.predict(img, um)
    t3 = time.perf_counter()
    m = measure(img, pred, um_per_px=um, valid_mask=valid, config=MEASURE_CONFIG)
    t4 = time.perf_counter()
    return m, {"read_s": t1 - t0, "qc_s": t2 - t1, "infer_s": t3 - t2, "measure_s": t4 - t3}, valid


def _fdu_boxes(xml_path: Path) -> np.ndarray:
    out = []
    for obj in ET.parse(xml_path).getroot().iter("object"):
        b = obj.find("bndbox")
        if b is None:
            continue
        x0, x1 = sorted(float(b.findtext(k, "0")) for k in ("xmin", "xmax"))
        y0, y1 = sorted(float(b.findtext(k, "0")) for k in ("ymin", "ymax"))
        if x1 > x0 and y1 > y0:  # degenerate boxes are unusable
            out.append((x0, y0, x1, y1))
    return np.asarray(out, dtype=float).reshape(-1, 4)


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    err = np.array([r["count"] - r["true_count"] for r in rows], dtype=float)
    pos = [r for r in rows if r["true_count"] > 0]
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    th = np.concatenate([np.abs(r["thickness_err_um"]) for r in rows]) if rows else np.zeros(0)
    out = {
        "images": len(rows),
        "true_hairs": int(sum(r["true_count"] for r in rows)),
        "count_mae": float(np.abs(err).mean()) if len(err) else None,
        "count_bias": float(err.mean()) if len(err) else None,
        "count_mape_pct": float(
            np.mean([abs(r["count"] - r["true_count"]) / r["true_count"] for r in pos]) * 100
        )
        if pos
        else None,
        "pooled_count_error_pct": float(100 * err.sum() / max(1, sum(r["true_count"] for r in rows))),
        "f1": 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 1.0,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "thickness_mae_um": float(th.mean()) if len(th) else None,
        "thickness_median_ae_um": float(np.median(th)) if len(th) else None,
        "thickness_n": len(th),
    }
    groups: dict[str, list[int]] = {}
    for r in rows:
        for g, (f, n) in r.get("groups", {}).items():
            cell = groups.setdefault(g, [0, 0])
            cell[0], cell[1] = cell[0] + f, cell[1] + n
    if groups:  # recall per kind of true hair: where the misses are
        out["recall_by_group"] = {g: {"recall": f / n, "hairs": n} for g, (f, n) in sorted(groups.items())}
    for k in ("read_s", "qc_s", "infer_s", "measure_s"):
        out[k] = float(np.mean([r["t"][k] for r in rows])) if rows else None
    out["total_s"] = sum(out[k] or 0.0 for k in ("read_s", "qc_s", "infer_s", "measure_s"))
    return out


def bench_synth(dets: dict[str, Any], n: int, width: int, height: int, match_um: float) -> dict[str, Any]:
    from trichometry.synth import generate_sample

    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in dets}
    for i in tqdm(range(n), desc="generated", unit="img"):
        s = generate_sample(HELD_OUT_SEED0 + i, width=width, height=height)
        um = s.truth.um_per_px
        _, enc = cv2.imencode(".png", cv2.cvtColor(s.image, cv2.COLOR_RGB2BGR))
        for name, det in dets.items():
            m, t, valid = _run_one(det, enc.tobytes(), um, s)
            truth = [h for h in s.truth.inside_hairs if valid[_pix(h.exit_xy, valid.shape)]]
            txy = np.array([h.exit_xy for h in truth], dtype=float).reshape(-1, 2)
            pd = point_detection(m.exit_points(), txy, match_um / um)
            th = [
                m.hairs[p].thickness_um - truth[q].diameter_um
                for p, q in pd.pairs
                if m.hairs[p].thickness_um is not None
            ]
            found = np.zeros(len(truth), dtype=bool)
            found[[q for _, q in pd.pairs]] = True
            rows[name].append(
                {"image": s.truth.image_id, "count": m.hair_count, "true_count": len(truth), "tp": pd.tp,
                 "fp": pd.fp, "fn": pd.fn, "thickness_err_um": np.asarray(th, dtype=float), "t": t,
                 "groups": _groups(s.truth, truth, found)}
            )  # fmt: skip
    return {k: _summary(v) for k, v in rows.items()}


def _groups(image_truth: Any, truth: list[Any], found: np.ndarray) -> dict[str, list[int]]:
    """Per group of true hairs ``[found, total]``: vellus (< 30 um) or not, and unit size."""
    size: dict[int, int] = {}
    for h in image_truth.inside_hairs:
        size[h.unit_id] = size.get(h.unit_id, 0) + 1
    out: dict[str, list[int]] = {}
    for h, f in zip(truth, found):
        units = size.get(h.unit_id, 1)
        for g in ("vellus <30 um" if h.diameter_um < 30 else "non-vellus", f"unit of {min(units, 3)}"):
            cell = out.setdefault(g.replace("unit of 3", "unit of 3+"), [0, 0])
            cell[0] += int(f)
            cell[1] += 1
    return out


def _pix(xy: tuple[float, float], shape: tuple[int, int]) -> tuple[int, int]:
    return min(max(round(xy[1]), 0), shape[0] - 1), min(max(round(xy[0]), 0), shape[1] - 1)


def bench_fdu(dets: dict[str, Any], root: Path, n: int, margin: float) -> dict[str, Any] | None:
    split = root / "splits" / "val.txt"
    if not split.is_file():
        print(f"[skip] FDU: {split} not found", file=sys.stderr)
        return None
    ids = [s.strip() for s in split.read_text().split() if s.strip()][:n]
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in dets if k != "oracle"}
    for iid in tqdm(ids, desc="fdu val", unit="img"):
        data = (root / "images" / f"{iid}.jpg").read_bytes()
        boxes = _fdu_boxes(root / "annotations" / f"{iid}.xml")
        for name in rows:
            m, t, _ = _run_one(dets[name], data, FDU_UM_PER_PX)
            tp = box_matches(m.exit_points(), boxes, margin)
            rows[name].append(
                {"image": iid, "count": m.hair_count, "true_count": len(boxes), "tp": tp,
                 "fp": m.hair_count - tp, "fn": len(boxes) - tp, "thickness_err_um": np.zeros(0), "t": t}
            )  # fmt: skip
    return {k: _summary(v) for k, v in rows.items()}


def _table(title: str, res: dict[str, Any]) -> str:
    cols = [
        ("count MAE", "count_mae", 2), ("count MAPE %", "count_mape_pct", 1),
        ("bias", "count_bias", 2), ("F1", "f1", 3),
        ("thick. MAE um", "thickness_mae_um", 2), ("thick. median um", "thickness_median_ae_um", 2),
        ("read s", "read_s", 3), ("qc s", "qc_s", 3),
        ("infer s", "infer_s", 3), ("measure s", "measure_s", 3),
    ]  # fmt: skip
    lines = [f"### {title}", "", "| method | images | hairs | " + " | ".join(c[0] for c in cols) + " |"]
    lines.append("|---" * (len(cols) + 3) + "|")
    for name, r in res.items():
        cells = ["-" if r[k] is None else f"{r[k]:.{nd}f}" for _, k, nd in cols]
        lines.append(f"| {name} | {r['images']} | {r['true_hairs']} | " + " | ".join(cells) + " |")
    for name, r in res.items():
        if r.get("recall_by_group"):
            parts = [f"{g} {v['recall']:.2f} ({v['hairs']})" for g, v in r["recall_by_group"].items()]
            lines.append(f"\n{name} recall by kind of hair (hairs): " + ", ".join(parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-synth", type=int, default=20, help="held-out generated images (seeds 900000+)")
    ap.add_argument(
        "--n-real", type=int, default=20, help="FDU validation images (first N of splits/val.txt)"
    )
    ap.add_argument(
        "--out", type=Path, default=Path("bench_analyze_out"), help="folder for results.json / .md"
    )
    ap.add_argument(
        "--methods", default="model,classical,oracle", help="comma list of model,classical,oracle"
    )
    ap.add_argument(
        "--model", type=Path, default=None, help="checkpoint for 'model' (default: the shipped one)"
    )
    ap.add_argument(
        "--profile-method", default=MeasureConfig.profile_method, help="optics, edge or half_depth"
    )
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=960)
    ap.add_argument("--match-um", type=float, default=60.0, help="exit match radius on generated images")
    ap.add_argument("--box-margin-px", type=float, default=10.0, help="FDU: box growth for exit matching")
    ap.add_argument(
        "--fdu-root", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "fdu"
    )
    args = ap.parse_args(argv)
    global MEASURE_CONFIG
    MEASURE_CONFIG = MeasureConfig(profile_method=args.profile_method)
    logging.basicConfig(level=logging.WARNING)
    dets = _detectors([m.strip() for m in args.methods.split(",") if m.strip()], args.model)
    results: dict[str, Any] = {
        "command": " ".join(
            ["python", "benchmarks/bench_analyze.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "held_out_seeds": [HELD_OUT_SEED0, HELD_OUT_SEED0 + args.n_synth - 1],
        "image_size": [args.width, args.height],
        "match_um": args.match_um,
        "box_margin_px": args.box_margin_px,
        "methods": list(dets),
        "profile_method": args.profile_method,
    }
    if "model" in dets:  # which weights and calibration the model rows come from
        src = dets["model"].source
        keys = ("name", "sha256", "step", "checkpoint", "exit_logit_shift", "diameter_map_rel_error")
        results["model"] = {k: src[k] for k in keys if k in src}
    md = []
    if args.n_synth > 0:
        results["generated"] = bench_synth(dets, args.n_synth, args.width, args.height, args.match_um)
        md.append(_table(f"Generated (held-out seeds, {args.width}x{args.height})", results["generated"]))
    if args.n_real > 0:
        fdu = bench_fdu(dets, args.fdu_root, args.n_real, args.box_margin_px)
        if fdu is not None:
            results["fdu_val"] = fdu
            md.append(_table("FDU val (real, 1280x1024, 2.8 um/px; truth = usable boxes)", fdu))
    text = "\n\n".join(md)
    print(text)
    atomic_write_text(args.out / "results.json", json.dumps(results, indent=2, allow_nan=False))
    atomic_write_text(args.out / "results.md", text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
