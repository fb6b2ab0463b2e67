from __future__ import annotations

import numpy as np

from trichometry.inference.prediction import Prediction
from trichometry.measure import measure
from trichometry.training.sweep import RealPhoto


def test_a_real_photo_counts_peaks_in_its_analysable_area_only() -> None:
    raw = np.zeros((40, 60), np.float32)
    raw[10, 10], raw[10, 50], raw[30, 30] = 0.9, 0.7, 0.5
    valid = np.ones((40, 60), bool)
    valid[:, 45:] = False  # a burned-in overlay on the right
    pred = Prediction(np.zeros_like(raw), raw, np.zeros_like(raw))
    photo = RealPhoto(pred, n_true=2, um=2.0, valid=valid)
    assert photo.count(0.4, 6.0) == 2 and photo.count(0.6, 6.0) == 1 and photo.count(0.95, 6.0) == 0


def test_calibration_counts_a_shaft_with_a_peak_at_each_end_once_as_analysis_does() -> None:
    shaft = np.zeros((40, 120), np.float32)
    shaft[18:23, 20:101] = 1.0  # one short hair from x=20 to x=100
    raw = np.zeros_like(shaft)
    raw[20, 20], raw[20, 100] = 0.9, 0.8  # the detector fired at both ends
    diam = np.where(shaft > 0, 5.0, 0.0).astype(np.float32)
    photo = RealPhoto(Prediction(shaft, raw, diam), n_true=1, um=2.0, valid=np.ones_like(shaft, bool))
    assert photo.count(0.5, 6.0) == 1
    img = np.full((40, 120, 3), 200, np.uint8)
    assert measure(img, Prediction(shaft, raw, diam), um_per_px=2.0).hair_count == 1
