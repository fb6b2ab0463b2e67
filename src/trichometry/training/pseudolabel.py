"""Root pseudo-labels for one-box-per-hair data: which end of each box is the exit point.

A box tells that one hair runs along one of its diagonals, not which end leaves the
skin. A model that already finds roots on generated scenes can say so for the real
boxes where it is sure; the rest of an image's boxes often follow from the hairs'
shared direction (hairs of one scalp patch grow the same way). The roots found this way
are fixed targets for a later fine-tune (``data.fdu_roots``), instead of the
multiple-instance "some corner" term, which taught a fresh head to fire on cut tips.

Per box (in the image's own pixels):

1. the diagonal is the one with more shaft probability along it;
2. its two ends are the diagonal's corners moved inwards by ``inset_px`` (10 px, about
   half a terminal hair's width at 70x; at most half the box's side);
3. ``model``: the end with the higher exit probability nearby, when that is at least
   ``min_prob`` and ``ratio`` times the other end's;
4. ``direction``: otherwise, when the image's confident boxes agree on a direction
   (resultant length >= ``min_agreement``), the end from which the hair points that way;
5. veto: a root is kept only where the image agrees: past the root the shaft goes on
   under the translucent skin as a bluish streak, past a cut tip there is plain skin, so
   the skin just beyond the root end must be bluer than beyond the tip. The cue alone
   is weaker than the model (in a check of 30 FDU train images it agreed with the
   model's confident choice for 77 % of boxes, and where they disagreed the model was
   mostly right by eye), so it only vetoes; the command prints how often it did;
6. else no root (the box keeps giving background outside it only).

Usage::

    M=src/trichometry/resources/models/hairnet_tiny.pt   # the shipped checkpoint
    python -m trichometry.training.pseudolabel $M ../shared/data/fdu \\
        --split train --out /tmp/fdu_roots.json

The output is JSON: ``{"format": "trichometry-box-roots", "version": 1, "model": {...},
"um_per_px": 2.8, "roots": {image_id: [[x_root, y_root, x_tip, y_tip] or null, ...]}}``
with one entry per box in the order the annotation lists them (after the reader's box
rules), in the image's own pixels; ``how`` says per box how it was decided.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from trichometry.errors import ConfigError, DataFormatError
from trichometry.measure.trace import sample
from trichometry.utils.atomic import atomic_write_text

logger = logging.getLogger(__name__)

FORMAT = "trichometry-box-roots"


@dataclass(frozen=True)
class RootRule:
    """Thresholds of the root choice (see the module docstring)."""

    min_prob: float = 0.2  # exit probability the chosen end needs
    ratio: float = 3.0  # ... and how many times the other end's
    end_radius_px: float = 10.0  # where the exit probability is read around each end
    inset_px: float = 10.0  # ends sit this far inside the corner (at most half the box side)
    min_agreement: float = 0.6  # resultant length of the confident directions
    min_confident: int = 3  # confident boxes needed before the direction decides others


def box_ends(box: np.ndarray, shaft: np.ndarray, inset_px: float) -> tuple[np.ndarray, np.ndarray]:
    """The two ends ``(2,)``, ``(2,)`` of the hair in ``box``: along the diagonal with more shaft."""
    x0, y0, x1, y1 = (float(v) for v in box)
    ins = min(inset_px, 0.5 * (x1 - x0), 0.5 * (y1 - y0))
    diagonals = (((x0 + ins, y0 + ins), (x1 - ins, y1 - ins)), ((x1 - ins, y0 + ins), (x0 + ins, y1 - ins)))
    best, best_score = diagonals[0], -1.0
    t = np.linspace(0.1, 0.9, 33)
    for a, b in diagonals:
        xs = a[0] + t * (b[0] - a[0])
        ys = a[1] + t * (b[1] - a[1])
        score = float(sample(shaft, xs, ys).mean())
        if score > best_score:
            best, best_score = (a, b), score
    return np.asarray(best[0], float), np.asarray(best[1], float)


def blueness(image_rgb: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 blue minus red, lightly smoothed (the under-skin shaft is bluish)."""
    import cv2

    img = np.asarray(image_rgb, dtype=np.float32)
    return cv2.GaussianBlur(img[..., 2] - img[..., 0], (0, 0), 2.0)


def beyond_cue(blue: np.ndarray, a: np.ndarray, b: np.ndarray, near: float = 4.0, far: float = 30.0) -> float:
    """How much bluer the skin just past end ``a`` is than just past end ``b``."""
    v = b - a
    n = float(np.hypot(*v))
    if n == 0:
        return 0.0
    u = v / n
    s = np.linspace(near, far, 14)
    past_a = sample(blue, a[0] - u[0] * s, a[1] - u[1] * s).mean()
    past_b = sample(blue, b[0] + u[0] * s, b[1] + u[1] * s).mean()
    return float(past_a - past_b)


def _peak_near(prob: np.ndarray, xy: np.ndarray, r: float) -> float:
    h, w = prob.shape
    x, y = round(xy[0]), round(xy[1])
    ri = math.ceil(r)
    y0, y1, x0, x1 = max(y - ri, 0), min(y + ri + 1, h), max(x - ri, 0), min(x + ri + 1, w)
    if y0 >= y1 or x0 >= x1:
        return 0.0
    yy, xx = np.mgrid[y0:y1, x0:x1]
    disc = (xx - xy[0]) ** 2 + (yy - xy[1]) ** 2 <= r * r
    vals = prob[y0:y1, x0:x1][disc]
    return float(vals.max()) if vals.size else 0.0


def choose_roots(
    boxes: np.ndarray,
    exit_prob: np.ndarray,
    shaft_prob: np.ndarray,
    image_rgb: np.ndarray | None = None,
    rule: RootRule | None = None,
) -> tuple[list[tuple[np.ndarray, np.ndarray] | None], list[str]]:
    """``(root, tip)`` of each box, or ``None``, and how it was decided (``model`` /
    ``direction`` / ``vetoed_model`` / ``vetoed_direction`` / ``unsure``); see the module docstring. Without
    ``image_rgb`` there is no veto."""
    rule = rule or RootRule()
    ends = [box_ends(b, shaft_prob, rule.inset_px) for b in np.asarray(boxes, float).reshape(-1, 4)]
    found: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(ends)
    how = ["unsure"] * len(ends)
    dirs = []
    for k, (a, b) in enumerate(ends):
        pa = _peak_near(exit_prob, a, rule.end_radius_px)
        pb = _peak_near(exit_prob, b, rule.end_radius_px)
        hi, lo = max(pa, pb), min(pa, pb)
        if hi >= rule.min_prob and hi >= rule.ratio * lo:
            root, tip = (a, b) if pa >= pb else (b, a)
            found[k], how[k] = (root, tip), "model"
            v = tip - root
            n = float(np.hypot(*v))
            if n > 0:
                dirs.append(v / n)
    if len(dirs) >= rule.min_confident:
        mean = np.mean(dirs, axis=0)
        if float(np.hypot(*mean)) >= rule.min_agreement:
            unit = mean / np.hypot(*mean)
            for k, (a, b) in enumerate(ends):
                v = b - a
                n = float(np.hypot(*v))
                if found[k] is not None or n == 0:
                    continue
                cos = float(np.dot(v / n, unit))
                if abs(cos) >= 0.5:  # the box's axis is not across the shared direction
                    found[k], how[k] = ((a, b) if cos > 0 else (b, a)), "direction"
    if image_rgb is not None:
        blue = blueness(image_rgb)
        for k, pair in enumerate(found):
            if pair is not None and beyond_cue(blue, *pair) <= 0:
                found[k], how[k] = None, f"vetoed_{how[k]}"
    return found, how


def label_boxes(
    model_path: str | os.PathLike[str],
    voc_root: str | os.PathLike[str],
    split: str,
    *,
    um_per_px: float = 2.8,
    device: str = "auto",
    limit: int | None = None,
    rule: RootRule | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Pseudo-label the roots of every box of a VOC split with a checkpoint (JSON-ready)."""
    from trichometry.data.format import decode_image, read_bytes
    from trichometry.data.voc import find_voc_layout, read_voc_annotation
    from trichometry.inference import Predictor

    predictor = Predictor(model_path, device=device)
    layout = find_voc_layout(voc_root)
    ids = layout.ids(split)[: limit or None]
    roots: dict[str, list[list[float] | None]] = {}
    hows: dict[str, list[str]] = {}
    tally = {"model": 0, "direction": 0, "vetoed_model": 0, "vetoed_direction": 0, "unsure": 0}
    for image_id in tqdm(ids, desc=f"pseudo-labelling {split}", disable=not progress):
        ann, _, img_path = read_voc_annotation(layout, image_id, um_per_px=um_per_px)
        image = decode_image(read_bytes(img_path, "image"), img_path, color=True)
        boxes, _ = ann.as_arrays()
        pred = predictor.predict(image, um_per_px)
        found, how = choose_roots(boxes, pred.exit_prob, pred.shaft_prob, image, rule)
        roots[image_id] = [None if f is None else [round(float(v), 2) for v in (*f[0], *f[1])] for f in found]
        hows[image_id] = how
        for h in how:
            tally[h] += 1
    return {
        "format": FORMAT,
        "version": 1,
        "model": {k: predictor.source.get(k) for k in ("name", "version", "sha256")},
        "um_per_px": um_per_px,
        "split": split,
        "rule": vars(rule or RootRule()),
        "tally": tally,
        "roots": roots,
        "how": hows,
    }


def load_roots(path: str | os.PathLike[str], um_per_px: float) -> dict[str, list[list[float] | None]]:
    """``image_id -> per box [x_root, y_root, x_tip, y_tip] or None`` from a pseudo-label file
    written at ``um_per_px`` (the scale the boxes are read at)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"data.fdu_roots: {p} does not exist; write it with python -m {__name__}.") from exc
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{p} is not a readable JSON file ({exc}); write it again.") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != 1:
        raise DataFormatError(f"{p} is not a {FORMAT} version 1 file; write it with python -m {__name__}.")
    if not math.isclose(float(doc.get("um_per_px", float("nan"))), um_per_px, rel_tol=1e-6):
        raise ConfigError(
            f"{p} was written at {doc.get('um_per_px')} um/px but the boxes are read at {um_per_px}; "
            "write it again at data.fdu_um_per_px."
        )
    roots = doc.get("roots")
    ok = isinstance(roots, dict) and all(
        isinstance(v, list) and all(r is None or (isinstance(r, list) and len(r) == 4) for r in v)
        for v in roots.values()
    )
    if not ok:
        raise DataFormatError(
            f"{p}: 'roots' must map each image id to a list of [x_root, y_root, x_tip, y_tip] or null."
        )
    return roots


def describe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Provenance of a pseudo-label file: path, SHA-256, the model that made it, its tally."""
    import hashlib

    data = Path(path).read_bytes()
    doc = json.loads(data)
    return {
        "file": str(path),
        "sha256": hashlib.sha256(data).hexdigest(),
        "model": doc.get("model"),
        "split": doc.get("split"),
        "tally": doc.get("tally"),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "model", help="checkpoint that finds roots (e.g. src/trichometry/resources/models/hairnet_tiny.pt)"
    )
    ap.add_argument("voc_root", help="Pascal-VOC box folder (e.g. ../shared/data/fdu)")
    ap.add_argument("--split", default="train")
    ap.add_argument("--out", required=True, help="JSON to write (outside the repository)")
    ap.add_argument("--um-per-px", type=float, default=2.8)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args(argv)
    doc = label_boxes(args.model, args.voc_root, args.split, um_per_px=args.um_per_px,
                      device=args.device, limit=args.limit)  # fmt: skip
    atomic_write_text(args.out, json.dumps(doc))
    t = doc["tally"]
    total = max(sum(t.values()), 1)
    vm, vd = t["vetoed_model"], t["vetoed_direction"]
    print(
        f"{len(doc['roots'])} images, {total} boxes: root from the model {t['model'] / total:.1%}, "
        f"from the shared direction {t['direction'] / total:.1%}, unsure {t['unsure'] / total:.1%}; "
        f"the skin beyond vetoed {vm} of the model's {t['model'] + vm} roots "
        f"and {vd} of the direction's {t['direction'] + vd}"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
