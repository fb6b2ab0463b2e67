"""Detections handed to visit matching: measured methods carry their candidates, oracles none."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from trichometry.evaluation.detectors import _from_measurement, _predictor_detector
from trichometry.inference.prediction import Prediction


def _photo(shape=(60, 60)):
    image = np.full((*shape, 3), 200, np.uint8)
    return SimpleNamespace(image=image, truth=SimpleNamespace(um_per_px=5.0), image_id="p0")


def test_measured_detections_carry_candidates():
    photo = _photo()
    yy, xx = np.mgrid[0:60, 0:60].astype(np.float32)
    exitp = np.maximum(0.8 * np.exp(-((xx - 15) ** 2 + (yy - 15) ** 2) / 4.5),
                       0.2 * np.exp(-((xx - 45) ** 2 + (yy - 40) ** 2) / 4.5)).astype(np.float32)  # fmt: skip
    zeros = np.zeros((60, 60), np.float32)
    detect = _predictor_detector(lambda image, upp: Prediction(zeros, exitp, zeros, source={"method": "x"}))
    pts = detect(photo).points
    assert len(pts) == 1 and pts.candidates_xy.shape == (1, 2)
    assert np.allclose(pts.candidates_xy[0], [45.0, 40.0], atol=0.05)


def test_measurement_without_candidates_gives_none():
    m = SimpleNamespace(exit_points=lambda: np.zeros((0, 2)), hairs=[])
    pts = _from_measurement(_photo(), SimpleNamespace(shaft_prob=np.zeros((60, 60))), m).points
    assert pts.candidates_xy is None
