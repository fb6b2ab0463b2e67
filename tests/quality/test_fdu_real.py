"""QC on the real 70x FDU validation images (slow; skipped when the data set is absent).

Run: ``.venv/bin/pytest tests/quality/test_fdu_real.py -m "fdu and slow" -s -p no:cacheprovider``
(prints the figures quoted in the analysis documentation).
"""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import numpy as np
import pytest

from trichometry.io import read_image
from trichometry.quality import assess_quality

pytestmark = [pytest.mark.fdu, pytest.mark.slow]


def _val_ids(root: Path) -> list[str]:
    return (root / "splits" / "val.txt").read_text().split()


def test_val_verdicts(fdu_root: Path) -> None:
    verdicts: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    masked = []
    for i in _val_ids(fdu_root):
        im = read_image(fdu_root / "images" / f"{i}.jpg", device="fdu-70x")
        q = assess_quality(im.image, im.um_per_px)
        verdicts[q.verdict] += 1
        reasons.update(r.split(" (")[0] for r in q.reasons)
        masked.append(q.metrics["overlay_fraction"])
    n = sum(verdicts.values())
    print(f"\nFDU val: {n} images, verdicts {dict(verdicts)}; reasons {dict(reasons)}")
    print(f"images with > 1 % masked as overlay: {int((np.array(masked) > 0.01).sum())}")
    assert verdicts["reject"] == 0 and verdicts["ok"] >= 0.9 * n


def test_overlay_mask_lowers_classical_density_error(fdu_root: Path) -> None:
    from trichometry.classical import ClassicalDetector
    from trichometry.measure import measure

    with (fdu_root / "counts.csv").open() as fh:
        boxes = {r["image_id"]: int(r["boxes"]) - int(r["degenerate"]) for r in csv.DictReader(fh)}
    det = ClassicalDetector()
    rows = []
    for i in _val_ids(fdu_root):
        im = read_image(fdu_root / "images" / f"{i}.jpg", device="fdu-70x")
        q = assess_quality(im.image, im.um_per_px)
        if q.metrics["overlay_fraction"] < 0.01:
            continue
        pred = det.predict(im.image, im.um_per_px)
        plain = measure(im.image, pred, um_per_px=im.um_per_px).summary["density_per_cm2"]
        masked = measure(im.image, pred, um_per_px=im.um_per_px, valid_mask=q.valid_mask).summary
        truth = boxes[i] / (im.width * im.height * (im.um_per_px * 1e-4) ** 2)
        rows.append((truth, plain, masked["density_per_cm2"]))
        if len(rows) == 60:
            break
    r = np.asarray(rows)
    err_plain, err_masked = np.abs(r[:, 1] - r[:, 0]), np.abs(r[:, 2] - r[:, 0])
    print(
        f"\n{len(r)} FDU val images with overlays, box density median {np.median(r[:, 0]):.0f}/cm2; "
        f"classical density |error| mean {err_plain.mean():.1f} -> {err_masked.mean():.1f}/cm2 with QC mask "
        f"(median {np.median(err_plain):.1f} -> {np.median(err_masked):.1f})"
    )
    assert err_masked.mean() < err_plain.mean()
