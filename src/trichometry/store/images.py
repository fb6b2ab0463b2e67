"""Check uploaded bytes before any decoder trusts them.

Order of checks: size in bytes, magic number against an allow-list (JPEG, PNG, TIFF),
pixel count from the header (before decoding: no decompression bombs), then a full
decode that catches truncated or corrupt files. Only :class:`ImageRejected` (or its
subclass :class:`ImageTooLarge`) comes out.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image as PILImage

from trichometry.errors import ImageRejected
from trichometry.io.polyglot import hidden_payload
from trichometry.store.errors import ImageTooLarge

MAX_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


@dataclass(frozen=True)
class ImageInfo:
    """What the header says about a checked image."""

    format: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """The allowed format named by the file's first bytes, or ``None``."""
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    return None


def inspect_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Check that ``data`` is a complete JPEG, PNG or TIFF within the limits.

    Raises:
        ImageTooLarge: more than ``max_bytes`` bytes or ``max_pixels`` pixels.
        ImageRejected: empty, not an allowed format, or corrupt/truncated.
    """
    if not data:
        raise ImageRejected("the file is empty; choose a JPEG, PNG or TIFF photo.")
    if len(data) > max_bytes:
        raise ImageTooLarge(
            f"the file has {len(data):,} bytes, more than the limit of {max_bytes:,}; "
            "export the photo at its native resolution as JPEG or PNG."
        )
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected(
            "the file is not a JPEG, PNG or TIFF image (its first bytes say otherwise); "
            "upload the photo as the camera saved it."
        )
    payload = hidden_payload(data, fmt)
    if payload:
        raise ImageRejected(
            f"the file hides {payload} (a disguised file); it was not stored. Upload the photo as the "
            "camera saved it."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise ImageTooLarge(
                        f"the image is {width}x{height} pixels, more than the limit of {max_pixels:,} "
                        "pixels; upload the dermoscope's native-resolution photo."
                    )
                if im.format != fmt:
                    raise ImageRejected(
                        f"the file starts like {fmt} but decodes as {im.format}; re-export it."
                    )
                im.load()
    except ImageRejected:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            f"the image has more pixels than allowed ({exc}); upload the native-resolution photo."
        ) from exc
    except Exception as exc:  # any decoder failure means a corrupt or truncated file
        raise ImageRejected(
            f"the {fmt} file is corrupt or truncated ({type(exc).__name__}: {exc}); upload it again "
            "or re-export it from the camera software."
        ) from exc
    if width < 16 or height < 16:
        raise ImageRejected(f"the image is only {width}x{height} pixels; upload a full trichoscopy photo.")
    return ImageInfo(format=fmt, width=int(width), height=int(height))


def decode_rgb(data: bytes) -> np.ndarray:
    """Decode checked bytes to an ``(H, W, 3)`` uint8 RGB array."""
    inspect_image(data)
    with PILImage.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
