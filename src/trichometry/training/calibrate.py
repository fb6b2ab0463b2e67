"""Calibrate the exit-point decision of a checkpoint on held-out synthetic scenes.

Consumers find exit points with a fixed threshold on ``exit_prob`` (0.3 by default in
:mod:`trichometry.measure`). A short training run can leave the heatmap's peaks lower
or higher than that. This finds the F1-optimal threshold ``t*`` on calibration scenes
(seeds used neither in training nor in :mod:`trichometry.training.validate`) and stores a
monotone logit shift ``logit(0.3) - logit(t*)`` in the checkpoint's ``postprocessing``;
:class:`~trichometry.inference.Predictor` applies it, so ``exit_prob >= 0.3`` means
``raw >= t*``. Peak positions are unchanged; weights (and their SHA-256) too.

Run::

    python -m trichometry.training.calibrate run/checkpoints/best.pt models/hairnet_tiny.pt --scenes 30
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from trichometry.inference.peaks import find_exit_points
from trichometry.inference.predictor import Predictor
from trichometry.models.checkpoint import load_checkpoint
from trichometry.training.metrics import f1_score, match_points
from trichometry.utils.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

CALIBRATION_SEED0 = 800_000_000
TARGET_THRESHOLD = 0.3
CANDIDATES = tuple(np.round(np.arange(0.04, 0.91, 0.02), 2))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def best_threshold(
    predictor: Predictor,
    scenes: int = 30,
    seed0: int = CALIBRATION_SEED0,
    size: tuple[int, int] = (384, 288),
    um_per_px: tuple[float, float] = (2.0, 5.0),
    match_um: float = 15.0,
    progress: bool = True,
) -> tuple[float, dict[float, float]]:
    """F1-optimal raw exit threshold on synthetic scenes; returns ``(t*, {t: F1})``."""
    from trichometry.synth import generate_sample

    rng = np.random.default_rng(seed0)
    counts = {t: [0, 0, 0] for t in CANDIDATES}
    for i in tqdm(range(scenes), desc="calibration scenes", disable=not progress):
        um = float(np.exp(rng.uniform(*np.log(um_per_px))))
        s = generate_sample(seed0 + i, width=size[0], height=size[1], um_per_px=um)
        exit_raw = predictor.predict(s.image, um, calibrated=False).exit_prob
        true = np.asarray([h.exit_xy for h in s.truth.inside_hairs], float).reshape(-1, 2)
        for t in CANDIDATES:
            pts = find_exit_points(exit_raw, threshold=float(t), min_distance_px=max(1.0, 6.0 / um))
            tp, fp, fn = match_points(pts * um, true * um, match_um)
            c = counts[t]
            c[0], c[1], c[2] = c[0] + tp, c[1] + fp, c[2] + fn
    f1 = {float(t): f1_score(*c) for t, c in counts.items()}
    best = max(f1, key=lambda t: (f1[t], -abs(t - TARGET_THRESHOLD)))
    return best, f1


def calibrate(
    src: str | Path,
    dst: str | Path,
    scenes: int = 30,
    device: str = "auto",
    size: tuple[int, int] = (384, 288),
) -> dict[str, Any]:
    """Write ``dst``: ``src`` without training state, with a calibrated exit-logit shift."""
    predictor = Predictor(src, device=device)
    t_star, f1 = best_threshold(predictor, scenes=scenes, size=size, progress=False)
    ckpt = load_checkpoint(src)
    for key in ("optimizer", "scheduler", "scaler"):
        ckpt.pop(key, None)
    post = {
        "exit_logit_shift": _logit(TARGET_THRESHOLD) - _logit(t_star),
        "exit_threshold_raw": t_star,
        "exit_threshold": TARGET_THRESHOLD,
        "calibration": {
            "scenes": scenes,
            "seed0": CALIBRATION_SEED0,
            "f1_at_raw_threshold": f1[t_star],
            "f1_at_0.3_uncalibrated": f1.get(0.3),
        },
    }
    ckpt["postprocessing"] = post
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(dst, buf.getvalue())
    logger.info("calibrated %s -> %s: raw threshold %.2f (F1 %.3f)", src, dst, t_star, f1[t_star])
    return post


def main(argv: list[str] | None = None) -> None:
    """Command-line entry; prints the stored post-processing as JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--scenes", type=int, default=30)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(calibrate(args.src, args.dst, args.scenes, args.device), indent=2))


if __name__ == "__main__":
    main()
