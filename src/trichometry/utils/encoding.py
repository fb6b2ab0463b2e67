"""Small, exact encoders shared by every writer: PNG bytes and JSON-safe values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trichometry.errors import OutputError


def encode_png(array: np.ndarray, compression: int | None = None) -> bytes:
    """PNG bytes of a ``(H, W)`` uint8/uint16 or ``(H, W, 3)`` uint8 RGB array, no metadata.

    Args:
        array: the pixels; 3-channel arrays are RGB (converted to OpenCV's BGR here).
        compression: zlib level 0-9 (OpenCV's default when None); it changes size, not pixels.

    Raises:
        OutputError: OpenCV cannot encode the array (wrong dtype or shape).
    """
    import cv2

    arr = np.ascontiguousarray(array)
    if arr.ndim == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    params = [] if compression is None else [cv2.IMWRITE_PNG_COMPRESSION, int(compression)]
    try:
        ok, buf = cv2.imencode(".png", arr, params)
    except cv2.error as exc:
        ok, buf = False, exc
    if not ok:
        raise OutputError(f"cannot encode an array of shape {array.shape} {array.dtype} as PNG.")
    return buf.tobytes()


def json_safe(v: Any) -> Any:
    """JSON-safe copy: numpy to Python, NaN/inf to None, floats rounded to 6 decimals."""
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, np.ndarray):
        return json_safe(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return round(f, 6) if math.isfinite(f) else None
    return v
