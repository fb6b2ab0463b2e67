"""Shaft evidence without learning: background flattening and a multi-scale ridge filter."""

from __future__ import annotations

import math

import cv2
import numpy as np


def flatten(dark: np.ndarray, max_width_px: float) -> np.ndarray:
    """Remove the skin background: white top-hat of the darkness image.

    A grey opening with a disc wider than the widest expected shaft keeps the slowly
    varying skin (illumination gradient, vignetting, pigmentation) and drops shafts;
    subtracting it leaves the shafts on a flat zero background.

    Args:
        dark: ``(H, W)`` float32 darkness (``255 - luminance``).
        max_width_px: widest expected shaft, in pixels of ``dark``.
    """
    k = int(2 * math.ceil(1.2 * max_width_px) + 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    opened = cv2.morphologyEx(dark, cv2.MORPH_OPEN, kernel)
    bg = cv2.GaussianBlur(opened, (0, 0), max(1.0, 0.5 * max_width_px))
    return np.maximum(dark - bg, 0.0).astype(np.float32)


def noise_sigma(img: np.ndarray) -> float:
    """Robust noise level: median absolute deviation of the Laplacian-like residual."""
    resid = img - cv2.GaussianBlur(img, (0, 0), 1.0)
    mad = float(np.median(np.abs(resid - np.median(resid))))
    return max(1.4826 * mad * 1.6, 0.5)  # residual of a 1-px blur keeps ~60 % of white noise


def ridge(flat: np.ndarray, widths_px: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Multi-scale bright-ridge strength (scale-normalised Hessian) and its best width.

    For a bar of width ``w`` the Hessian response peaks at ``sigma = w / (2 sqrt 3)``;
    each width in ``widths_px`` sets one scale. Strength is ``sigma^2 * max(-lambda_min, 0)``
    where ``lambda_min`` is the smaller Hessian eigenvalue (across the ridge), gated by
    the ridge being more curved across than along (``|l1| > 2 |l2|``-like soft gate).

    Returns:
        ``(strength, width_px)``, both ``(H, W)`` float32.
    """
    best = np.zeros(flat.shape, dtype=np.float32)
    best_w = np.zeros(flat.shape, dtype=np.float32)
    for w in widths_px:
        s = max(0.7, w / (2 * math.sqrt(3)))
        g = cv2.GaussianBlur(flat, (0, 0), s)
        dxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3)
        dyy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3)
        dxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3)
        tr = dxx + dyy
        disc = np.sqrt((dxx - dyy) ** 2 + 4 * dxy**2)
        l_min = 0.5 * (tr - disc)  # most negative: across a bright ridge
        l_max = 0.5 * (tr + disc)
        resp = s * s * np.maximum(-l_min, 0) * np.clip(1.0 - np.abs(l_max) / (np.abs(l_min) + 1e-6), 0, 1)
        upd = resp > best
        best[upd] = resp[upd]
        best_w[upd] = w
    return best, best_w
