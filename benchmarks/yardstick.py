"""The detector yardstick: every figure beside its floors, on data no model was tuned on.

Two parts, each a table printed and written as JSON (``--out``):

1. **Real photos**: every photo of the FDU ``val`` split (``--fdu-root``, default
   ``../shared/data/fdu``; never copied), analysed as ``trichometry analyze`` does
   (read, quality control, detect, measure) at the set's 2.8 um/px. Per detector: count
   MAE, MAPE, bias (mean and % of the true total), Pearson r and Lin's concordance
   against the number of boxes, and the box rule (an exit point inside a box grown by
   ``--box-margin-px``, one to one) precision, recall, F1, whole frame and interior.
   Interior: boxes whose centre lies at least ``--interior-px`` from the frame, and the
   detections that either match such a box or themselves lie that far in (hairs cut by
   the frame are often unlabelled). Floors in the same table: the **constant** guess (the
   ``train`` split's median box count for every photo) and the **classical** baseline.
2. **Style shift**: generated held-out scenes (seeds from 900000, never trained on) in
   the default style and in the held-out rendering style (``style="heldout"``, kept out
   of training). Exit points matched one to one within ``--match-um``; count MAPE;
   thickness MAE of matched hairs. Floors: the constant (median count of scenes drawn
   from the training seeds with the same settings), the classical baseline, and the
   **oracle** (true maps through the same measurement engine).

Usage::

    python benchmarks/yardstick.py --out yardstick_out               # everything
    python benchmarks/yardstick.py --n-real 40 --n-synth 10          # a quick look
    python benchmarks/yardstick.py --model other.pt --compare src/trichometry/resources/models/hairnet_tiny.pt
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from trichometry.analysis import analyze
from trichometry.evaluation.metrics import point_detection
from trichometry.evaluation.yardstick import (
    box_centres,
    box_matches_pairs,
    constant_floor,
    count_agreement,
    detection_scores,
    interior,
    read_root_marks,
    root_end_matches,
    upper_end_share,
    width_auc,
)
from trichometry.utils.atomic import atomic_write_text

FDU_UM_PER_PX = 2.8
HELD_OUT_SEED0 = 900_000
STYLES = ("default", "heldout")
WIDTH_CLASSES = ("undersize", "premium", "single")  # thin hairs against the others (abnormal left out)
ROOT_MARKS = Path(__file__).resolve().parent / "labels" / "fdu_val_roots.csv"
log = logging.getLogger("yardstick")


def _fdu(root: Path, split: str) -> tuple[Any, list[str]]:
    from trichometry.data.voc import find_voc_layout

    layout = find_voc_layout(root)
    return layout, sorted(layout.ids(split))


def _boxes(layout: Any, image_id: str) -> tuple[np.ndarray, tuple[int, int], list[str]]:
    """Usable boxes ``(N, 4)`` of one photo, its ``(H, W)`` and the boxes' classes."""
    from trichometry.data.voc import read_voc_annotation

    ann, _, _ = read_voc_annotation(layout, image_id, um_per_px=FDU_UM_PER_PX)
    boxes, labels = ann.as_arrays()
    return np.asarray(boxes, float).reshape(-1, 4), (ann.height, ann.width), list(labels)


def _detect(det: tuple[str, Any], image: Any, um: float) -> tuple[np.ndarray, list[float | None]]:
    """Exit points and thicknesses (um) of the counted hairs; nothing if QC rejects."""
    method, model = det
    res = analyze(image, um_per_px=um, method=method, model=model)
    if res.measurement is None:
        return np.zeros((0, 2)), []
    m = res.measurement
    return m.exit_points(), [h.thickness_um for h in m.hairs]


def real_table(dets: dict[str, tuple[str, Any]], root: Path, n: int | None, args: Any) -> dict[str, Any]:
    layout, train_ids = _fdu(root, "train")
    _, ids = _fdu(root, args.split)
    ids = ids[:n] if n else ids
    const = constant_floor([len(_boxes(layout, i)[0]) for i in train_ids])
    marks = read_root_marks(args.root_marks) if args.split == "val" and args.root_marks.is_file() else {}
    rows: dict[str, dict[str, list]] = {k: {"pred": [], "pairs": [], "roots": [], "widths": []} for k in dets}
    truth, shapes = [], []
    for image_id in tqdm(ids, desc=f"FDU {args.split}", unit="photo"):
        boxes, shape, labels = _boxes(layout, image_id)
        path = layout.image_path(image_id)
        truth.append(len(boxes))
        shapes.append(shape)
        for name, det in dets.items():
            pts, thick = _detect(det, str(path), FDU_UM_PER_PX)
            rows[name]["pred"].append(len(pts))
            for i, j in box_matches_pairs(pts, boxes, args.box_margin_px):
                if thick[i] is not None and labels[j] in WIDTH_CLASSES:
                    rows[name]["widths"].append((labels[j], float(thick[i])))
            rows[name]["pairs"].append((pts, boxes))
            if image_id in marks:
                rows[name]["roots"].append(root_end_matches(pts, marks[image_id], args.box_margin_px))
    out: dict[str, Any] = {"split": args.split, "photos": len(ids), "true_hairs": int(sum(truth))}
    out["constant"] = {"guess": const, **count_agreement([const] * len(truth), truth)}
    for name in dets:
        whole, inner = _box_scores(rows[name]["pairs"], shapes, args.box_margin_px, args.interior_px)
        out[name] = {**count_agreement(rows[name]["pred"], truth), **whole, **inner}
        w = rows[name]["widths"]
        thin = [v for lab, v in w if lab == "undersize"]
        out[name]["undersize_width_auc"] = width_auc(thin, [v for lab, v in w if lab != "undersize"])
        out[name]["undersize_measured"] = len(thin)
    used = [m for i, m in marks.items() if i in set(ids)]
    if used:
        all_marks = np.concatenate(used)
        out["root_ends"] = {
            "marked": len(all_marks),
            "photos": len(used),
            "upper_end_rule": upper_end_share(all_marks),
        }
        for name in dets:
            found, correct = np.asarray(rows[name]["roots"]).reshape(-1, 2).sum(axis=0)
            out["root_ends"][name] = {"found": int(found), "correct": int(correct),
                                      "accuracy": correct / found if found else float("nan")}  # fmt: skip
    return out


def _box_scores(pairs: list, shapes: list, margin: float, inner_px: float) -> tuple[dict, dict]:
    tp = n_pred = n_true = 0
    itp = in_pred = in_true = 0
    for (pts, boxes), shape in zip(pairs, shapes):
        matched = box_matches_pairs(pts, boxes, margin)
        tp, n_pred, n_true = tp + len(matched), n_pred + len(pts), n_true + len(boxes)
        box_in = interior(box_centres(boxes), shape, inner_px)
        pt_in = interior(pts, shape, inner_px)
        for p, b in matched:  # a detection matched to an interior box counts as interior
            pt_in[p] = box_in[b]
        itp += sum(1 for _, b in matched if box_in[b])
        in_pred, in_true = in_pred + int(pt_in.sum()), in_true + int(box_in.sum())
    whole = detection_scores(tp, n_pred, n_true)
    inner = {f"interior_{k}": v for k, v in detection_scores(itp, in_pred, in_true).items()}
    return whole, inner


def _scene(seed: int, style: str, size: tuple[int, int]) -> Any:
    from trichometry.synth import generate_sample

    kw: dict[str, Any] = {"width": size[0], "height": size[1]}
    if style == "heldout":
        kw["style"] = "heldout"
    return generate_sample(seed, **kw)


def synth_table(dets: dict[str, tuple[str, Any]], n: int, args: Any) -> dict[str, Any]:
    from trichometry.measure import measure
    from trichometry.measure.oracle import prediction_from_truth

    size = tuple(int(v) for v in args.synth_size.split("x"))
    train_counts = [_scene(s, "default", size).truth.count for s in range(args.n_const)]
    const = constant_floor(train_counts)
    out: dict[str, Any] = {"scenes_per_style": n, "size": size, "match_um": args.match_um}
    for style in STYLES:
        res: dict[str, dict[str, list]] = {k: {"pred": [], "tp": [], "th": []} for k in [*dets, "oracle"]}
        truth = []
        for i in tqdm(range(n), desc=f"generated ({style})", unit="scene"):
            s = _scene(HELD_OUT_SEED0 + i, style, size)
            um = s.truth.um_per_px
            txy = np.array([h.exit_xy for h in s.truth.inside_hairs], float).reshape(-1, 2)
            diam = [h.diameter_um for h in s.truth.inside_hairs]
            truth.append(len(txy))
            for name in res:
                if name == "oracle":
                    m = measure(s.image, prediction_from_truth(s), um_per_px=um)
                    pts, th = m.exit_points(), [h.thickness_um for h in m.hairs]
                else:
                    pts, th = _detect(dets[name], s.image, um)
                pd = point_detection(pts, txy, args.match_um / um)
                res[name]["pred"].append(len(pts))
                res[name]["tp"].append(pd.tp)
                res[name]["th"] += [abs(th[p] - diam[q]) for p, q in pd.pairs if th[p] is not None]
        block: dict[str, Any] = {"constant": {"guess": const, **count_agreement([const] * n, truth)}}
        for name, r in res.items():
            det = detection_scores(sum(r["tp"]), sum(r["pred"]), sum(truth))
            th = float(np.mean(r["th"])) if r["th"] else float("nan")
            block[name] = {**count_agreement(r["pred"], truth), **det, "thickness_mae_um": th}
        out[style] = block
    return out


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, spec)


def markdown(real: dict | None, synth: dict | None) -> str:
    lines: list[str] = []
    if real:
        lines += [
            f"FDU {real['split']}: {real['photos']} photos, {real['true_hairs']} boxes",
            "",
            "| detector | MAE | MAPE % | bias % | r | CCC | P | R | F1 | interior F1 | undersize width AUC |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, r in real.items():
            if not isinstance(r, dict) or name == "root_ends":
                continue
            label = f"constant ({r['guess']:g})" if name == "constant" else name
            lines.append(
                f"| {label} | {_fmt(r['mae'], '.2f')} | {_fmt(r['mape_pct'], '.1f')} | "
                f"{_fmt(r['bias_pct'], '+.1f')} | {_fmt(r['pearson_r'], '.2f')} | "
                f"{_fmt(r['lin_ccc'], '.2f')} | "
                f"{_fmt(r.get('precision'), '.2f')} | {_fmt(r.get('recall'), '.2f')} | "
                f"{_fmt(r.get('f1'), '.2f')} | {_fmt(r.get('interior_f1'), '.2f')} | "
                f"{_fmt(r.get('undersize_width_auc'), '.2f')} |"
            )
    roots = (real or {}).get("root_ends")
    if roots:
        lines += [
            "",
            f"Root ends on {roots['marked']} hairs marked by eye on {roots['photos']} FDU val photos "
            f"(floor: 'the root is the upper end' is right for {100 * roots['upper_end_rule']:.1f} %)",
            "",
            "| detector | hairs found | root end correct % of found |",
            "|---|---|---|",
        ]
        for name, r in roots.items():
            if isinstance(r, dict):
                lines.append(f"| {name} | {r['found']} | {_fmt(100 * r['accuracy'], '.1f')} |")
    if synth:
        for style in STYLES:
            lines += [
                "",
                f"Generated held-out, {style} style: {synth['scenes_per_style']} scenes "
                f"{synth['size'][0]}x{synth['size'][1]}, exits within {synth['match_um']:g} um",
                "",
                "| detector | count MAPE % | bias % | P | R | F1 | thickness MAE um |",
                "|---|---|---|---|---|---|---|",
            ]
            for name, r in synth[style].items():
                label = f"constant ({r['guess']:g})" if name == "constant" else name
                lines.append(
                    f"| {label} | {_fmt(r['mape_pct'], '.1f')} | {_fmt(r['bias_pct'], '+.1f')} | "
                    f"{_fmt(r.get('precision'), '.2f')} | {_fmt(r.get('recall'), '.2f')} | "
                    f"{_fmt(r.get('f1'), '.2f')} | {_fmt(r.get('thickness_mae_um'), '.1f')} |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fdu-root", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/fdu")
    ap.add_argument("--split", default="val")
    ap.add_argument("--n-real", type=int, default=0, help="photos (0 = the whole split)")
    ap.add_argument("--n-synth", type=int, default=40, help="generated scenes per style (0 = skip)")
    ap.add_argument("--n-const", type=int, default=40, help="training-seed scenes for the constant guess")
    ap.add_argument("--synth-size", default="640x512")
    ap.add_argument("--model", default=None, help="checkpoint (default: the shipped model)")
    ap.add_argument("--compare", action="append", default=[], help="another checkpoint to score beside it")
    ap.add_argument("--box-margin-px", type=float, default=10.0)
    ap.add_argument("--interior-px", type=float, default=64.0)
    ap.add_argument("--match-um", type=float, default=60.0)
    ap.add_argument("--root-marks", type=Path, default=ROOT_MARKS, help="hand-marked root ends (val only)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    dets: dict[str, tuple[str, Any]] = {"model": ("model", args.model)}
    for path in args.compare:
        dets[Path(path).stem] = ("model", path)
    dets["classical"] = ("classical", None)
    real = None
    if args.fdu_root.is_dir():
        real = real_table(dets, args.fdu_root, args.n_real or None, args)
    else:
        print(f"[skip] real photos: {args.fdu_root} not found", file=sys.stderr)
    synth = synth_table(dets, args.n_synth, args) if args.n_synth > 0 else None
    text = markdown(real, synth)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        doc = {"real": real, "synth": synth, "argv": sys.argv[1:]}
        atomic_write_text(args.out / "yardstick.json", json.dumps(doc, indent=2, default=float))
        atomic_write_text(args.out / "yardstick.md", text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
