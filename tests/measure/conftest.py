"""Hand-drawn hair images with exact truth, and oracle predictions built from that truth."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from trichometry.inference.prediction import Prediction

SS = 8  # supersampling factor of the renderer


@dataclass
class DrawnHair:
    exit_xy: tuple[float, float]
    angle_deg: float  # 0 = +x, 90 = up
    length_px: float
    width_px: float
    opacity: float = 0.85  # fraction of skin light the shaft absorbs


def _coverage(shape: tuple[int, int], hair: DrawnHair) -> np.ndarray:
    """Exact-ish area coverage (0..1) of a straight shaft with a square cut end."""
    h, w = shape
    big = np.zeros((h * SS, w * SS), dtype=np.uint8)
    a = math.radians(hair.angle_deg)
    u = np.array([math.cos(a), -math.sin(a)])
    n = np.array([-u[1], u[0]])
    p0 = np.asarray(hair.exit_xy, dtype=float)
    p1 = p0 + hair.length_px * u
    hw = hair.width_px / 2
    corners = np.array([p0 + hw * n, p1 + hw * n, p1 - hw * n, p0 - hw * n])
    # pixel (i, j) centre at (j, i) covers [j - .5, j + .5): shift by .5 before scaling
    pts = np.round((corners + 0.5) * SS * 16 - 0.5 * 16).astype(np.int32)
    cv2.fillPoly(big, [pts], 255, lineType=cv2.LINE_8, shift=4)
    return cv2.resize(big.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)


def render(
    shape: tuple[int, int],
    hairs: list[DrawnHair],
    *,
    blur_sigma: float = 0.8,
    noise: float = 2.0,
    seed: int = 0,
    skin=(215, 180, 160),
) -> tuple[np.ndarray, list[np.ndarray]]:
    """RGB uint8 image and the per-hair coverage maps."""
    rng = np.random.default_rng(seed)
    trans = np.ones(shape, dtype=np.float32)
    covs = []
    for hair in hairs:
        c = _coverage(shape, hair)
        covs.append(c)
        trans *= 1.0 - hair.opacity * c
    img = np.asarray(skin, dtype=np.float32)[None, None, :] * trans[..., None]
    if blur_sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), blur_sigma)
    img = img + rng.normal(0, noise, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), covs


def oracle_prediction(shape: tuple[int, int], hairs: list[DrawnHair], covs: list[np.ndarray]) -> Prediction:
    """Prediction from truth: shaft = coverage >= .5, exit = Gaussians, diameter = true width."""
    h, w = shape
    shaft = np.zeros(shape, dtype=np.float32)
    diam = np.zeros(shape, dtype=np.float32)
    exitp = np.zeros(shape, dtype=np.float32)
    yy, xx = np.mgrid[:h, :w]
    for hair, c in zip(hairs, covs):
        m = c >= 0.5
        shaft[m] = 1.0
        diam[m] = np.maximum(diam[m], hair.width_px)
        x, y = hair.exit_xy
        exitp = np.maximum(exitp, np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2)).astype(np.float32))
    return Prediction(shaft, exitp, diam, source={"method": "oracle"})


@pytest.fixture
def drawn():
    """Factory: ``drawn(shape, hairs, **render_kw) -> (image, prediction)``."""

    def make(shape, hairs, **kw):
        img, covs = render(shape, hairs, **kw)
        return img, oracle_prediction(shape, hairs, covs)

    make.Hair = DrawnHair  # tests build hairs with drawn.Hair(...)
    return make
