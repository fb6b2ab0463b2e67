"""Synthetic 70x images against the real FDU set: colour and contrast statistics.

Reads ../shared/data/fdu (skips when absent); nothing from it is stored.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from trichometry.synth import generate_sample


def _stats(rgb: np.ndarray) -> np.ndarray:
    """Median RGB, mean RGB of the darkest 0.5 % (hair) and 99th percentile RGB."""
    f = rgb[: int(rgb.shape[0] * 0.97)].reshape(-1, 3).astype(float)  # skip a bottom strip
    order = np.argsort(f.mean(axis=1))
    dark = f[order[: len(order) // 200]].mean(axis=0)
    return np.concatenate([np.median(f, axis=0), dark, np.percentile(f, 99, axis=0)])


@pytest.mark.fdu
@pytest.mark.slow
def test_colour_statistics_match_real_70x_images(fdu_root):
    files = sorted((fdu_root / "images").glob("*.jpg"))[::40]
    real = np.array([_stats(cv2.imread(str(p))[:, :, ::-1]) for p in files])
    synth = np.array(
        [
            _stats(generate_sample(s, um_per_px=2.8, width=1280, height=1024, fitzpatrick=(2, 3.5)).image)
            for s in range(12)
        ]
    )
    diff = np.abs(real.mean(axis=0) - synth.mean(axis=0))
    # skin median and hair darkness within a few grey levels; highlights within 30
    assert np.all(diff[:3] < 12), diff
    assert np.all(diff[3:6] < 10), diff
    assert np.all(diff[6:] < 30), diff
    # the generator spans more devices than this one, so it must cover its spread
    assert np.all(synth.std(axis=0)[:3] >= real.std(axis=0)[:3] * 0.8)
