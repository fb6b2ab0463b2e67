"""Calibrate the exit-point decision of a checkpoint on held-out synthetic scenes.

Consumers find exit points with a fixed threshold on ``exit_prob`` (0.3 by default in
:mod:`trichometry.measure`). A short training run can leave the heatmap's peaks lower
or higher than that. This finds the F1-optimal threshold ``t*`` on calibration scenes
(seeds used neither in training nor in :mod:`trichometry.training.validate`) and stores a
monotone logit shift ``logit(0.3) - logit(t*)`` in the checkpoint's ``postprocessing``;
:class:`~trichometry.inference.Predictor` applies it, so ``exit_prob >= 0.3`` means
``raw >= t*``. Peak positions are unchanged; weights (and their SHA-256) too. The least
distance between two peaks is chosen alongside (``exit_min_distance_um``, from
:data:`SEPARATIONS_UM`); the Predictor passes it on to the measurement engine. So is how
the threshold moves for images coarser than the model's canonical scale
(``exit_threshold_raw_per_octave``, from :data:`PER_OCTAVE`): they are enlarged for the
network, and their peaks come out lower.
Hairs are counted as the engine counts them (:class:`Sweep`: exit peaks traced, far
ends of other hairs' shafts dropped), so the calibrated count is the reported one.

The diameter head is checked too: its mean relative error per unit of shaft length
(``diameter_map_rel_error``, :func:`diameter_map_error`). The measurement engine lets
the map overrule an image profile only where the map is more precise than the
disagreement it would judge.

With ``--objective count --boxes VOC_FOLDER`` the count error on real box-labelled
photos (the ``train`` split by default: never the one you report on) weighs as much as
the generated scenes': a real 70x photo and a generated scene can want different
thresholds, and a clinic measures real photos.

Run::

    M=src/trichometry/resources/models/hairnet_tiny.pt   # the shipped checkpoint (package data)
    python -m trichometry.training.calibrate run/checkpoints/best.pt $M --scenes 30
    python -m trichometry.training.calibrate run/checkpoints/last.pt $M \
        --objective count --boxes ../shared/data/fdu --boxes-split train --boxes-limit 60
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from trichometry.errors import ConfigError
from trichometry.evaluation.metrics import point_detection
from trichometry.inference.predictor import Predictor, logit, scale_threshold
from trichometry.models.checkpoint import load_checkpoint
from trichometry.training.metrics import f1_score
from trichometry.training.sweep import RealPhoto, Sweep, real_photos
from trichometry.utils.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

CALIBRATION_SEED0 = 800_000_000
TARGET_THRESHOLD = 0.3
CANDIDATES = tuple(np.round(np.arange(0.04, 0.91, 0.02), 2))
# least distances between two exit peaks tried (um): hairs of one follicular unit leave
# the skin about one diameter (10-100 um) apart, a broad peak may hold two maxima
SEPARATIONS_UM = (6.0, 12.0, 20.0, 30.0)
# change of the raw threshold per doubling of um per pixel beyond the canonical scale: a
# coarse image is enlarged for the network and its peaks come out lower
PER_OCTAVE = (0.0, -0.05, -0.1, -0.15, -0.2, -0.25, -0.3)


def best_threshold(
    predictor: Predictor,
    scenes: int = 30,
    seed0: int = CALIBRATION_SEED0,
    size: tuple[int, int] = (384, 288),
    um_per_px: tuple[float, float] = (2.0, 9.0),
    match_um: float = 15.0,
    progress: bool = True,
    objective: str = "f1",
    real: list[RealPhoto] | None = None,
    per_octave: Sequence[float] = PER_OCTAVE,
) -> tuple[float, float, float, dict[tuple[float, float, float], float]]:
    """Best raw exit threshold, its change per octave of scale and the peak separation, on
    synthetic scenes (and real photos).

    The threshold of an image is :func:`~trichometry.inference.predictor.scale_threshold`
    of its scale: ``t`` at or finer than the model's canonical scale, ``t + k`` per doubling
    of um per pixel beyond it. Only images coarser than the canonical scale decide ``k``.

    Args:
        objective: ``"f1"`` (exit-point F1 within ``match_um``) or ``"count"`` (the least
            mean absolute count error per scene, what a density figure needs: the
            F1-optimal threshold of a detector that misses more than it invents under-counts).
        real: box-labelled real photos (:func:`real_photos`); with ``objective="count"``
            their count error counts as much as the scenes': the objective is the sum of
            each set's mean absolute count error divided by its mean true count.
        per_octave: the values of ``k`` tried (``(0.0,)``: one threshold for every scale).

    Returns:
        ``(t*, separation_um*, k*, {(t, separation_um, k): F1})``; ties go to the higher F1,
        the smaller ``|k|``, the threshold nearest 0.3 and then the smaller separation.
    """
    if objective not in ("f1", "count"):
        raise ConfigError(f"unknown calibration objective {objective!r}; use 'f1' or 'count'.")
    from trichometry.synth import generate_sample

    canonical = predictor.canonical_um_per_px
    rng = np.random.default_rng(seed0)
    keys = [(t, d, k) for t in CANDIDATES for d in SEPARATIONS_UM for k in per_octave]
    counts = {key: [0, 0, 0] for key in keys}
    abs_err = dict.fromkeys(keys, 0.0)
    n_true = 0
    for i in tqdm(range(scenes), desc="calibration scenes", disable=not progress):
        um = float(np.exp(rng.uniform(*np.log(um_per_px))))
        s = generate_sample(seed0 + i, width=size[0], height=size[1], um_per_px=um)
        sweep = Sweep(predictor.predict(s.image, um, calibrated=False), um)
        true = np.asarray([h.exit_xy for h in s.truth.inside_hairs], float).reshape(-1, 2)
        n_true += len(true)
        scored: dict[tuple[float, float], tuple[int, int, int, int]] = {}  # per threshold asked
        for t, d, k in keys:
            asked = (scale_threshold(t, k, um, canonical), d)  # k changes nothing at fine scales
            if asked not in scored:
                pts = sweep.hairs(*asked)
                m = point_detection(pts * um, true * um, match_um)
                scored[asked] = (m.tp, m.fp, m.fn, len(pts))
            tp, fp, fn, n = scored[asked]
            c = counts[(t, d, k)]
            c[0], c[1], c[2] = c[0] + tp, c[1] + fp, c[2] + fn
            abs_err[(t, d, k)] += abs(n - len(true))
    f1 = {key: f1_score(*c) for key, c in counts.items()}
    cost = {key: v / max(n_true, 1) for key, v in abs_err.items()}
    if real:
        n_real = max(sum(r.n_true for r in real), 1)
        for t, d, k in cost:
            err = sum(abs(r.count(scale_threshold(t, k, r.um, canonical), d) - r.n_true) for r in real)
            cost[(t, d, k)] += err / n_real
    first = (lambda key: -cost[key]) if objective == "count" else (lambda key: f1[key])
    best = max(
        f1, key=lambda key: (first(key), f1[key], -abs(key[2]), -abs(key[0] - TARGET_THRESHOLD), -key[1])
    )
    return float(best[0]), float(best[1]), float(best[2]), f1


def diameter_map_error(
    predictor: Predictor,
    scenes: int = 10,
    seed0: int = CALIBRATION_SEED0,
    size: tuple[int, int] = (384, 288),
    um_per_px: tuple[float, float] = (2.0, 9.0),
) -> float:
    """Mean relative error of the diameter map per unit of shaft length.

    Taken on pixels that are shaft in truth and in the map, each weighted by one over the
    true diameter so that every hair counts by its length, not its area: a map that
    answers about the same diameter for every hair is right for the common terminal
    hairs (which hold most shaft pixels) and wrong for the thin and the thick ones, and a
    median over pixels would hide that.
    """
    from trichometry.synth import generate_sample

    rng = np.random.default_rng(seed0 + 1)
    err_sum = weight_sum = 0.0
    for i in range(scenes):
        um = float(np.exp(rng.uniform(*np.log(um_per_px))))
        s = generate_sample(seed0 + 500_000 + i, width=size[0], height=size[1], um_per_px=um)
        pred = predictor.predict(s.image, um, calibrated=False)
        truth = s.targets.diameter_um
        on = s.targets.shaft_mask.astype(bool) & (pred.shaft_prob >= 0.5) & (truth > 0)
        w = 1.0 / truth[on]
        err_sum += float((np.abs(pred.diameter_px[on] * um / truth[on] - 1.0) * w).sum())
        weight_sum += float(w.sum())
    return err_sum / weight_sum if weight_sum > 0 else float("nan")


def calibrate(
    src: str | Path,
    dst: str | Path,
    scenes: int = 30,
    device: str = "auto",
    size: tuple[int, int] = (384, 288),
    objective: str = "f1",
    boxes: str | Path | None = None,
    boxes_split: str = "train",
    boxes_limit: int = 60,
    tta: str = "none",
    map_scenes: int = 10,
    scale_aware: bool = True,
    run_with: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``dst``: ``src`` without training state, with a calibrated exit-logit shift.

    ``run_with`` (the command and its arguments, :func:`run_record`) is stored in
    ``postprocessing["run_with"]`` so the checkpoint says how it was calibrated.

    With ``boxes`` (a Pascal-VOC folder) and ``objective="count"``, the first
    ``boxes_limit`` real photos of ``boxes_split`` weigh as much as the generated scenes.
    ``tta`` (``"none"`` or ``"flips"``, see :class:`Predictor`) is calibrated with and
    stored, so every Predictor of ``dst`` uses it. ``map_scenes`` generated scenes (seeds
    apart from the threshold's) measure the diameter map's precision. ``scale_aware``: the
    threshold may change with the image's scale (:data:`PER_OCTAVE`); ``False`` keeps one.
    """
    predictor = Predictor(src, device=device, tta=tta)
    real = real_photos(predictor, boxes, boxes_split, boxes_limit) if boxes else None
    t_star, sep_star, k_star, f1 = best_threshold(
        predictor, scenes=scenes, size=size, progress=False, objective=objective, real=real,
        per_octave=PER_OCTAVE if scale_aware else (0.0,),
    )  # fmt: skip
    map_err = diameter_map_error(predictor, scenes=map_scenes, size=size)
    ckpt = load_checkpoint(src)
    for key in ("optimizer", "scheduler", "scaler"):
        ckpt.pop(key, None)
    post = {
        "exit_logit_shift": logit(TARGET_THRESHOLD) - logit(t_star),
        "exit_threshold_raw": t_star,
        "exit_threshold": TARGET_THRESHOLD,
        "exit_threshold_raw_per_octave": k_star,
        "exit_min_distance_um": sep_star,
        "tta": tta,
        # None: no pixel was shaft in both truth and map (an untrained model)
        "diameter_map_rel_error": round(map_err, 4) if math.isfinite(map_err) else None,
        "calibration": {
            "scenes": scenes,
            "seed0": CALIBRATION_SEED0,
            "objective": objective,
            "real_photos": {"root": str(boxes), "split": boxes_split, "images": len(real)} if real else None,
            "f1_at_raw_threshold": f1[(t_star, sep_star, k_star)],
            "f1_at_0.3_uncalibrated": f1.get((0.3, sep_star, 0.0)),
        },
    }
    called = {"src": src, "dst": dst, "scenes": scenes, "objective": objective, "boxes": boxes, "tta": tta}
    post["run_with"] = run_with or run_record("calibrate", called)
    ckpt["postprocessing"] = post
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(dst, buf.getvalue())
    logger.info(
        "calibrated %s -> %s: raw threshold %.2f (%+.2f per octave coarser), separation %.0f um (F1 %.3f)",
        src, dst, t_star, k_star, sep_star, f1[(t_star, sep_star, k_star)],
    )  # fmt: skip
    return post


def run_record(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """What a model tool was run with, for the checkpoint it writes: the tool, its
    arguments, the package version and when (UTC)."""
    import datetime as dt

    from trichometry import __version__

    return {
        "tool": f"trichometry model {tool}",
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in args.items()},
        "trichometry_version": __version__,
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry; prints the stored post-processing as JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--scenes", type=int, default=30)
    ap.add_argument(
        "--scene-size", type=int, nargs=2, default=(384, 288), metavar=("W", "H"),
        help="generated scene size in px (a whole dermoscope frame, 1280 960, holds enough hairs "
        "per scene to show how the threshold should move with scale)",
    )  # fmt: skip
    ap.add_argument("--device", default="auto")
    ap.add_argument(
        "--objective", choices=("f1", "count"), default="f1",
        help="f1: best exit-point F1; count: least count error per scene",
    )  # fmt: skip
    ap.add_argument("--boxes", default=None, help="Pascal-VOC folder of real photos (count objective)")
    ap.add_argument("--boxes-split", default="train", help="never the split you report on")
    ap.add_argument("--boxes-limit", type=int, default=60)
    ap.add_argument("--tta", choices=("none", "flips"), default="none", help="test-time flips (4x inference)")
    ap.add_argument(
        "--one-threshold",
        action="store_true",
        help="one raw threshold for every scale (no per-octave change)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    post = calibrate(
        args.src, args.dst, args.scenes, args.device, size=tuple(args.scene_size), objective=args.objective,
        boxes=args.boxes, boxes_split=args.boxes_split, boxes_limit=args.boxes_limit, tta=args.tta,
        scale_aware=not args.one_threshold, run_with=run_record("calibrate", vars(args)),
    )  # fmt: skip
    print(json.dumps(post, indent=2))


if __name__ == "__main__":
    main()
