"""Validation figures of a trained checkpoint, through the real :class:`Predictor`.

* held-out synthetic scenes (seeds never used in training): exit-point F1 (matched within
  ``match_um``), count error per image, shaft Dice, diameter MAE in um on true shaft pixels;
* a Pascal-VOC box set (e.g. FDU ``val``): count error per image against the box count.

Run::

    python -m trichometry.training.validate src/trichometry/resources/models/hairnet_tiny.pt --synthetic 40 \\
        --boxes ../shared/data/fdu --split val --limit 100
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

import numpy as np
from tqdm import tqdm

from trichometry.inference.loading import load_predictor
from trichometry.inference.peaks import find_exit_points
from trichometry.inference.predictor import Predictor
from trichometry.training.metrics import VAL_MATCH_UM, MetricAccumulator

logger = logging.getLogger(__name__)

VALIDATION_SEED0 = 900_000_000  # far from every training seed


def _separation_px(pred: Any, um_per_px: float) -> float:
    """The least distance between two exit peaks, in pixels: the one the Predictor states
    from the checkpoint's calibration (as the measurement engine uses), else 6 um."""
    return float(pred.hints.exit_min_distance_px or max(1.0, 6.0 / um_per_px))


def validate_synthetic(
    predictor: Predictor,
    n: int = 40,
    seed0: int = VALIDATION_SEED0,
    size: tuple[int, int] = (512, 384),
    um_per_px: tuple[float, float] = (2.0, 5.0),
    threshold: float = 0.3,
    match_um: float = VAL_MATCH_UM,
    progress: bool = True,
) -> dict[str, Any]:
    """Figures on ``n`` fresh synthetic images (default scene ranges, random scale in ``um_per_px``).

    Returns:
        ``f1``, ``precision``, ``recall``, ``count_mae``, ``count_bias`` (hairs per image),
        ``dice``, ``diameter_mae_um``, ``mean_true_count``, ``images``.
    """
    from trichometry.synth import generate_sample

    rng = np.random.default_rng(seed0)
    acc = MetricAccumulator(match_px=1.0)  # points are compared in um below
    true_counts = []
    for i in tqdm(range(n), desc="synthetic validation", disable=not progress):
        um = float(np.exp(rng.uniform(*np.log(um_per_px))))
        s = generate_sample(seed0 + i, width=size[0], height=size[1], um_per_px=um)
        pred = predictor.predict(s.image, um)
        pts = find_exit_points(pred.exit_prob, threshold=threshold, min_distance_px=_separation_px(pred, um))
        true = np.asarray([h.exit_xy for h in s.truth.inside_hairs], float).reshape(-1, 2)
        true_counts.append(len(true))
        acc.add(
            pts * um / match_um,  # in units of match_um: match distance 1
            true * um / match_um,
            pred.shaft_prob >= 0.5,
            s.targets.shaft_mask > 0,
            pred.diameter_px * um,
            s.targets.diameter_um,
        )
    r = acc.result()
    r["diameter_mae_um"] = r.pop("diameter_mae")
    r["mean_true_count"] = float(np.mean(true_counts)) if true_counts else 0.0
    r["match_um"] = match_um
    return r


def validate_boxes(
    predictor: Predictor,
    root: str,
    split: str = "val",
    um_per_px: float = 2.8,
    limit: int | None = None,
    threshold: float = 0.3,
    progress: bool = True,
) -> dict[str, Any]:
    """Count error per image against one-box-per-hair annotations.

    Returns:
        ``count_mae``, ``count_bias``, ``count_mape`` (mean |error| / box count),
        ``mean_box_count``, ``images``, ``seconds_per_image``.
    """
    from trichometry.data.format import decode_image, read_bytes
    from trichometry.data.voc import find_voc_layout, read_voc_annotation

    layout = find_voc_layout(root)
    ids = layout.ids(split)[: limit or None]
    errs, rel, counts = [], [], []
    t0 = time.time()
    for image_id in tqdm(ids, desc=f"{split} boxes", disable=not progress):
        ann, _, path = read_voc_annotation(layout, image_id, um_per_px=um_per_px)
        image = decode_image(read_bytes(path, "image"), path, color=True)
        pred = predictor.predict(image, um_per_px)
        n = len(
            find_exit_points(
                pred.exit_prob, threshold=threshold, min_distance_px=_separation_px(pred, um_per_px)
            )
        )
        errs.append(n - ann.count)
        counts.append(ann.count)
        rel.append(abs(n - ann.count) / max(ann.count, 1))
    e = np.asarray(errs, float)
    return {
        "count_mae": float(np.abs(e).mean()) if len(e) else float("nan"),
        "count_bias": float(e.mean()) if len(e) else float("nan"),
        "count_mape": float(np.mean(rel)) if rel else float("nan"),
        "mean_box_count": float(np.mean(counts)) if counts else float("nan"),
        "images": len(ids),
        "seconds_per_image": (time.time() - t0) / max(len(ids), 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: prints one JSON object with the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--synthetic", type=int, default=40, help="number of synthetic images (0 = skip)")
    ap.add_argument("--boxes", default=None, help="Pascal-VOC folder (e.g. the FDU set)")
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=None, help="first N images of the split")
    ap.add_argument("--threshold", type=float, default=0.3)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    predictor = load_predictor(args.checkpoint, device=args.device)
    out: dict[str, Any] = {"checkpoint": args.checkpoint, "sha256": predictor.source["sha256"]}
    if args.synthetic > 0:
        out["synthetic"] = validate_synthetic(predictor, n=args.synthetic, threshold=args.threshold)
    if args.boxes:
        out["boxes"] = validate_boxes(
            predictor, args.boxes, args.split, limit=args.limit, threshold=args.threshold
        )
        out["boxes"]["split"] = args.split
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
