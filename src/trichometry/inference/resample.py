"""Resampling images and maps between an image's scale and the model's canonical scale."""

from __future__ import annotations

import cv2
import numpy as np


def scaled_size(width: int, height: int, factor: float) -> tuple[int, int]:
    """``(width, height)`` after scaling by ``factor`` (at least 1 px each)."""
    return max(1, round(width * factor)), max(1, round(height * factor))


def resample_image(image: np.ndarray, factor: float) -> np.ndarray:
    """Scale an image by ``factor``: area averaging to shrink, bilinear to grow.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` array.
        factor: new size / old size; ``1`` returns ``image`` itself.
    """
    if abs(factor - 1.0) < 1e-6:
        return image
    h, w = image.shape[:2]
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, scaled_size(w, h, factor), interpolation=interp)


def resize_map(values: np.ndarray, width: int, height: int, keep_peaks: bool = False) -> np.ndarray:
    """Resize a float ``(h, w)`` map to ``(height, width)`` bilinearly.

    Args:
        keep_peaks: when shrinking, take the local maximum first so that one-pixel peaks
            (exit points) keep their height instead of being averaged away.
    """
    h, w = values.shape
    if (h, w) == (height, width):
        return values
    shrink = max(h / height, w / width)
    if keep_peaks and shrink > 1.0:
        k = int(np.ceil(shrink)) | 1
        values = cv2.dilate(values, np.ones((k, k), np.uint8))
    return cv2.resize(values, (width, height), interpolation=cv2.INTER_LINEAR)
