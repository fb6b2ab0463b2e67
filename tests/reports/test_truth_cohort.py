"""Acceptance: a cohort from ``synth.longitudinal`` whose true change is known.

The truth's target-area counts and follicle diameters stand in for measurements; the
report's per-arm mean change must equal the true mean change (exactly without noise,
within the measurement error with it).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from trichometry.reports import ImageRecord, ModelInfo, RecordListSource, build_report
from trichometry.synth.longitudinal import simulate_cohort

TS = "2026-11-21T08:00:00Z"
WINDOWS = {"2w": "2w", "1m": "1m", "3m": "3m", "6m": "6m"}


@pytest.fixture(scope="module")
def subjects():
    return simulate_cohort(16, 11)


def _records(subjects, noise_sd: float = 0.0, images: int = 1, seed: int = 0) -> list[ImageRecord]:
    rng = np.random.default_rng(seed)
    out = []
    for s in subjects:
        t = s.truth
        for k, v in enumerate(t.visits):
            widths = [f.states[k].diameter_um for f in t.follicles if f.in_target and f.states[k].active]
            assert len(widths) == v.target_count
            for j in range(images):
                n = max(0, round(v.target_count + rng.normal(0, noise_sd))) if noise_sd else v.target_count
                m = {
                    "hair_count": n,
                    "area_cm2": t.target_area_cm2,
                    "density_per_cm2": n / t.target_area_cm2,
                    "hairs": [{"thickness_um": w} for w in widths[:n]],
                }
                out.append(
                    ImageRecord(
                        t.subject_id,
                        t.site,
                        v.name,
                        t.arm,
                        f"{v.image_id}_{j}",
                        m,
                        date=dt.date.fromisoformat(v.date),
                        model=ModelInfo("truth", "1"),
                        image_sha256=f"{v.image_id}_{j}".encode().hex()[:64],
                    )
                )
    return out


def _truth_mean(subjects, arm: str, visit: str, key: str = "density_change_per_cm2") -> float:
    return float(
        np.mean(
            [
                getattr(v, key)
                for s in subjects
                if s.truth.arm == arm
                for v in s.truth.visits
                if v.name == visit
            ]
        )
    )


def test_report_recovers_the_true_mean_change_per_arm(subjects):
    rep = build_report(RecordListSource(_records(subjects)), generated_at=TS)
    assert not rep.missing
    for arm in ("treated", "control"):
        for visit, window in WINDOWS.items():
            s = rep.stat("DENS", arm, window)
            assert s.n == 8
            assert s.mean_chg == pytest.approx(_truth_mean(subjects, arm, visit), abs=1e-4)
    # the mean diameter of the target area at baseline is the truth's
    for s in subjects:
        o = next(o for o in rep.observations if o.subject == s.truth.subject_id and o.is_baseline)
        want = s.truth.visits[0].mean_diameter_um
        assert (
            math.isnan(o.values["MEANDIAM"])
            if s.truth.visits[0].target_count == 0
            else (o.values["MEANDIAM"] == pytest.approx(want, abs=1e-4))
        )
        nv = sum(
            1
            for f in s.truth.follicles
            if f.in_target and f.states[0].active and f.states[0].diameter_um >= 30
        )
        assert o.values["NVDENS"] == pytest.approx(nv / s.truth.target_area_cm2, abs=1e-4)


def test_with_measurement_noise_the_mean_change_stays_within_its_error(subjects):
    noise, images = 0.5, 3  # hairs per image; small enough that no count is clipped at 0
    rep = build_report(RecordListSource(_records(subjects, noise, images, seed=2)), generated_at=TS)
    for arm in ("treated", "control"):
        areas = np.array([s.truth.target_area_cm2 for s in subjects if s.truth.arm == arm])
        # a subject's change: mean of `images` noisy counts at each end, divided by its area
        se = math.sqrt(np.sum(2 * noise**2 / images / areas**2)) / areas.size
        for visit, window in WINDOWS.items():
            got = rep.stat("DENS", arm, window).mean_chg
            assert got == pytest.approx(_truth_mean(subjects, arm, visit), abs=4 * se)
    spread = [o.spread["HAIRCNT"] for o in rep.observations]
    assert np.nanmean(spread) == pytest.approx(noise, rel=0.5)  # the image-to-image spread is kept
