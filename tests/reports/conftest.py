"""A small hand-built trial cohort with known true change, written as analyze results."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trichometry.reports import ImageRecord, ModelInfo, RecordListSource

AREA_CM2 = 0.1
VISIT_DAYS = {"baseline": 0, "week2": 14, "month1": 30, "month3": 91, "month6": 182}
# true relative change of the follicle count at each visit, per arm
EFFECT = {
    "treated": {0: 0.0, 14: 0.02, 30: 0.05, 91: 0.12, 182: 0.20},
    "control": dict.fromkeys(VISIT_DAYS.values(), 0.0),
}
MODEL = {"name": "unet-small", "version": "0.1.0", "sha256": "ab" * 32}


def measurement(n_hairs: int, diameters: np.ndarray) -> dict[str, Any]:
    """An analyze-style result dict for ``n_hairs`` hairs with the given diameters (um)."""
    return {
        "hair_count": int(n_hairs),
        "area_cm2": AREA_CM2,
        "um_per_px": 2.8,
        "density_per_cm2": n_hairs / AREA_CM2,
        "mean_thickness_um": float(np.mean(diameters)) if n_hairs else None,
        "cumulative_thickness_mm_per_cm2": float(np.sum(diameters)) / 1000 / AREA_CM2,
        "model": MODEL,
        "convention": {"name": "trial", "cutoffs_um": [30.0], "labels": ["vellus", "non-vellus"]},
        "hairs": [{"hair_id": i + 1, "thickness_um": float(d)} for i, d in enumerate(diameters)],
    }


def make_cohort(n_per_arm: int = 8, seed: int = 0, noise_sd: float = 0.0, images_per_visit: int = 1):
    """Records of a two-arm cohort and the true mean density change per arm and visit.

    Each subject has a fixed follicle count at baseline; at each visit the true count is
    ``round(N0 * (1 + effect))``; a measurement adds Gaussian count noise (``noise_sd`` hairs).

    Returns:
        ``(records, truth)`` where ``truth[arm][visit]`` is the mean true density change (hairs/cm2).
    """
    rng = np.random.default_rng(seed)
    records, truth = [], {arm: {v: [] for v in VISIT_DAYS} for arm in EFFECT}
    for arm in sorted(EFFECT):
        for k in range(n_per_arm):
            subject = f"{arm[:1].upper()}{k:03d}"
            n0 = int(rng.integers(12, 25))
            widths = rng.normal(55, 15, size=200).clip(8, 110)
            for visit, day in VISIT_DAYS.items():
                n_true = round(n0 * (1 + EFFECT[arm][day]))
                truth[arm][visit].append((n_true - n0) / AREA_CM2)
                for j in range(images_per_visit):
                    n_meas = max(0, round(n_true + rng.normal(0, noise_sd))) if noise_sd else n_true
                    records.append(
                        ImageRecord(
                            subject=subject,
                            site="vertex",
                            visit=visit,
                            arm=arm,
                            image_id=f"{subject}_{visit}_{j}",
                            measurement=measurement(n_meas, widths[:n_meas]),
                            days_since_baseline=day,
                            image_sha256=f"{subject}{visit}{j}".encode().hex().ljust(64, "0")[:64],
                            model=ModelInfo(**MODEL),
                            convention="trial (30 um)",
                            study_id="TRI-001",
                        )
                    )
    mean_truth = {arm: {v: float(np.mean(x)) for v, x in d.items()} for arm, d in truth.items()}
    return records, mean_truth


@pytest.fixture
def cohort():
    records, truth = make_cohort()
    return RecordListSource(records, "hand-built cohort"), truth


def write_results(records: list[ImageRecord], folder: Path) -> Path:
    """Write ``folder/results/<image_id>.json`` and ``folder/manifest.csv``; returns the manifest."""
    res = folder / "results"
    res.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "image_id",
                "subject",
                "visit",
                "date",
                "days_since_baseline",
                "site",
                "arm",
                "image_sha256",
                "study_id",
            ]
        )
        for r in records:
            (res / f"{r.image_id}.json").write_text(json.dumps(dict(r.measurement)))
            w.writerow(
                [
                    r.image_id,
                    r.subject,
                    r.visit,
                    "",
                    r.days_since_baseline,
                    r.site,
                    r.arm,
                    r.image_sha256,
                    r.study_id,
                ]
            )
    return manifest


@pytest.fixture
def cohort_factory():
    """:func:`make_cohort` (tests call it with their own sizes and noise)."""
    return make_cohort


@pytest.fixture
def measure_dict():
    """:func:`measurement`: an analyze-style result dict."""
    return measurement


@pytest.fixture
def results_writer():
    """:func:`write_results`: records -> results folder + manifest."""
    return write_results
