"""Detections handed to visit matching: the clinicians' pipeline (quality control on), with candidates."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from trichometry.evaluation.detectors import _pipeline_detector
from trichometry.inference.prediction import Prediction


def _photo(image):
    return SimpleNamespace(image=image, truth=SimpleNamespace(um_per_px=5.0), image_id="p0")


class _TwoPeaks:
    """TEST ONLY: one exit peak over the threshold at (15, 15), one candidate under it at (45, 40)."""

    def __init__(self) -> None:
        self.source = {"method": "model", "name": "two-peaks"}

    def predict(self, image_rgb, um_per_px=None):
        h, w = image_rgb.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        hit = 0.8 * np.exp(-((xx - 15) ** 2 + (yy - 15) ** 2) / 4.5)
        faint = 0.2 * np.exp(-((xx - 45) ** 2 + (yy - 40) ** 2) / 4.5)
        exitp = np.maximum(hit, faint).astype(np.float32)
        zeros = np.zeros((h, w), np.float32)
        return Prediction(zeros, exitp, zeros, source=dict(self.source))


def _textured(shape=(64, 64)):
    rng = np.random.default_rng(0)  # skin-like texture: quality control accepts it
    base = np.full((*shape, 3), (190, 150, 130), np.float32)
    return np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)


def test_measured_detections_carry_candidates_and_the_shaft_mask():
    det = _pipeline_detector("model", _TwoPeaks())(_photo(_textured()))
    assert det.rejected is None
    pts = det.points
    assert len(pts) == 1 and pts.candidates_xy.shape == (1, 2)
    assert np.allclose(pts.candidates_xy[0], [45.0, 40.0], atol=0.05)
    assert det.shaft_mask is not None and det.shaft_mask.shape == (64, 64)


def test_a_photo_quality_control_rejects_carries_no_hairs_and_says_why():
    det = _pipeline_detector("model", _TwoPeaks())(_photo(np.full((64, 64, 3), 200, np.uint8)))
    assert det.rejected and "no visible contrast" in det.rejected
    assert len(det.points) == 0 and det.shaft_mask is None
