"""A perfect :class:`Prediction` built from a generated sample's truth.

Used to test and benchmark measurement on its own: with an oracle prediction, any count
or thickness error comes from measurement (tracing, profile widths), not from detection.
"""

from __future__ import annotations

import math

import numpy as np

from trichometry.inference.prediction import Prediction
from trichometry.truth import Sample


def prediction_from_truth(sample: Sample, exit_sigma_px: float = 1.5) -> Prediction:
    """Oracle maps: shaft = truth mask, exit = unit Gaussians at the true exit points of
    the hairs inside the frame, diameter = truth diameter map in pixels.

    Args:
        sample: a generated sample (image, truth, targets).
        exit_sigma_px: width of each exit peak.
    """
    t = sample.targets
    h, w = t.shaft_mask.shape
    exit_prob = np.zeros((h, w), dtype=np.float32)
    r = math.ceil(3 * exit_sigma_px)
    for hair in sample.truth.inside_hairs:
        x, y = hair.exit_xy
        x0, x1 = max(int(x) - r, 0), min(int(x) + r + 2, w)
        y0, y1 = max(int(y) - r, 0), min(int(y) + r + 2, h)
        if x0 >= x1 or y0 >= y1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        g = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * exit_sigma_px**2)).astype(np.float32)
        exit_prob[y0:y1, x0:x1] = np.maximum(exit_prob[y0:y1, x0:x1], g)
    return Prediction(
        shaft_prob=t.shaft_mask.astype(np.float32),
        exit_prob=exit_prob,
        diameter_px=(t.diameter_um / sample.truth.um_per_px).astype(np.float32),
        source={"method": "oracle", "name": "truth", "version": "1"},
    )


def valid_mask_from_truth(sample: Sample) -> np.ndarray | None:
    """``(H, W)`` bool, ``False`` on burned-in overlay pixels (``None`` when none were drawn)."""
    overlay = getattr(sample.targets, "overlay_mask", None)
    if overlay is None:
        return None
    return ~np.asarray(overlay, dtype=bool)
