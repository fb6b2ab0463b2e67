"""Per-image quality measures: focus (edge blur), exposure, glare.

Each function takes ``(H, W, 3)`` uint8 RGB and, where it matters, a ``valid`` mask of
pixels to look at (burned-in overlays excluded: their sharp synthetic edges would make
any photo look in focus).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["edge_blur_px", "exposure_stats", "glare_mask"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def channel_max_min(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel max and min over the three channels, ``(H, W)`` uint8 each (fast path)."""
    r, g, b = cv2.split(np.ascontiguousarray(img))
    return cv2.max(cv2.max(r, g), b), cv2.min(cv2.min(r, g), b)


def _grey(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)


def edge_blur_px(img: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Estimate the optical blur as the Gaussian sigma of the sharpest edges, in pixels.

    A step of contrast ``C`` blurred by a Gaussian of sigma ``s`` has a maximal gradient
    ``C / (sqrt(2 pi) s)``. The sharpest edges of a trichoscopy image are the hair
    borders, so the 99.5th percentile of the gradient magnitude (after a 1 px denoising
    blur, removed again below) over the 1-99 % grey range estimates ``s``. Independent
    of exposure and contrast; sensor noise is suppressed by the denoising step.

    Args:
        img: ``(H, W, 3)`` uint8 RGB.
        valid: ``(H, W)`` bool, pixels to use (default all).

    Returns:
        Estimated blur sigma in pixels (0 = perfectly sharp); ``nan`` if no contrast.
    """
    g = cv2.GaussianBlur(_grey(img), (0, 0), 1.0)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    mag = np.hypot(gx, gy)
    if valid is None:
        v = np.ones(g.shape, bool)
    else:
        v = cv2.erode(valid.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    if v.sum() < 100:
        return float("nan")
    contrast = float(np.percentile(g[v], 99) - np.percentile(g[v], 1))
    sharp = float(np.percentile(mag[v], 99.5)) / max(contrast, 1e-6)
    if contrast < 5 or sharp <= 0:
        return float("nan")
    sigma_total = _INV_SQRT_2PI / sharp
    return float(math.sqrt(max(sigma_total**2 - 1.0, 0.0)))  # remove the 1 px denoising blur


def exposure_stats(img: np.ndarray, valid: np.ndarray | None = None) -> dict[str, float]:
    """Luminance statistics over the valid pixels.

    Returns:
        ``mean_luma`` (0-255), ``shadows_clipped`` (fraction with luma <= 5) and
        ``highlights_clipped`` (fraction with any channel >= 250).
    """
    luma = _grey(img)
    hi = channel_max_min(img)[0] >= 250
    if valid is not None and valid.any():
        luma, hi = luma[valid], hi[valid]
    return {
        "mean_luma": float(luma.mean()),
        "shadows_clipped": float((luma <= 5).mean()),
        "highlights_clipped": float(hi.mean()),
    }


def glare_mask(img: np.ndarray, min_area_px: int = 20, margin_px: int = 2) -> np.ndarray:
    """Specular glare: connected blobs of near-saturated, near-white pixels.

    Args:
        img: ``(H, W, 3)`` uint8 RGB.
        min_area_px: smaller blobs are ignored (single hot pixels, hair highlights).
        margin_px: the blob is grown by this margin (its halo is also unusable).

    Returns:
        ``(H, W)`` bool, True on glare.
    """
    top, bottom = channel_max_min(img)
    sat = (bottom >= 235) & (top >= 250)
    if not sat.any():
        return sat
    n, labels, stats, _ = cv2.connectedComponentsWithStats(sat.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area_px
    out = keep[labels]
    if margin_px > 0 and out.any():
        k = 2 * margin_px + 1
        out = cv2.dilate(out.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    return out
