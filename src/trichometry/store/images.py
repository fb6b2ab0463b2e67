"""Check uploaded bytes before the store keeps them.

The checks themselves are the project's one ingest guard, :func:`trichometry.io.read_image`
(byte cap, format by magic number, pixel count from the header before decoding,
polyglots, a full decode that catches truncated or corrupt files). This module adds what
is specific to uploads: the formats a clinic may upload and the store's own limits.
Only :class:`~trichometry.errors.ImageRejected` (or its subclass
:class:`~trichometry.errors.ImageTooLarge`) comes out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trichometry.errors import ImageRejected
from trichometry.io.reader import LoadedImage, read_image

MAX_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000
UPLOAD_FORMATS = {"jpeg": "JPEG", "png": "PNG", "tiff": "TIFF"}


@dataclass(frozen=True)
class ImageInfo:
    """What a checked upload is."""

    format: str
    width: int
    height: int


def _load(data: bytes, max_bytes: int, max_pixels: int) -> LoadedImage:
    if not data:
        raise ImageRejected("the file is empty; choose a JPEG, PNG or TIFF photo.")
    try:
        loaded = read_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    except ImageRejected as exc:
        # read_image names the input "<bytes>"; an upload is "the file"
        raise type(exc)(str(exc).replace("<bytes>", "the file")) from exc
    if loaded.format not in UPLOAD_FORMATS:
        raise ImageRejected(
            f"the file is a {loaded.format.upper()} image, but uploads must be JPEG, PNG or TIFF; "
            "export the photo in one of those formats."
        )
    return loaded


def inspect_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Check that ``data`` is a complete JPEG, PNG or TIFF within the limits.

    Raises:
        ImageTooLarge: more than ``max_bytes`` bytes or ``max_pixels`` pixels.
        ImageRejected: empty, not an allowed format, disguised, or corrupt/truncated.
    """
    loaded = _load(data, max_bytes, max_pixels)
    return ImageInfo(format=UPLOAD_FORMATS[loaded.format], width=loaded.width, height=loaded.height)


def decode_rgb(data: bytes) -> np.ndarray:
    """Decode checked bytes to an ``(H, W, 3)`` uint8 RGB array."""
    return _load(data, MAX_BYTES, MAX_PIXELS).image
