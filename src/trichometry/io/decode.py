"""Decoders behind :func:`trichometry.io.read_image`, and conversion to ``(H, W, 3)`` uint8 RGB.

They run only after the format and the pixel count were checked from the header
(:mod:`trichometry.io.sniff`); the caller turns any exception into ``ImageRejected``.
"""

from __future__ import annotations

import io
import logging

import numpy as np

from trichometry.errors import CalibrationError, ImageRejected

logger = logging.getLogger(__name__)


def to_rgb8(arr: np.ndarray, significant_bits: int | None = None) -> np.ndarray:
    """Convert a decoded array to ``(H, W, 3)`` uint8 RGB.

    Args:
        arr: ``(H, W)``, ``(H, W, 1|2|3|4)`` of any integer or float dtype (float in [0, 1]
            or, when its maximum exceeds 1, treated like integers).
        significant_bits: bits that carry data for integer input wider than 8 bits.

    Raises:
        ImageRejected: a shape that is not an image.
    """
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[-1] not in (1, 2, 3, 4):
        a = np.moveaxis(a, 0, -1)  # planar (C, H, W)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[-1] not in (1, 2, 3, 4):
        raise ImageRejected(f"the image has an unusable pixel layout {a.shape}; export it as an RGB photo.")
    if a.shape[-1] in (2, 4):  # drop alpha
        a = a[..., :-1]
    if a.dtype == np.uint8:
        out = a
    elif a.dtype == bool:
        out = a.astype(np.uint8) * 255
    elif np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        hi = float(a.max()) if a.size else 1.0
        scale = 255.0 if hi <= 1.0 else 255.0 / hi
        out = np.clip(np.rint(a * scale), 0, 255).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.int64)
        a = np.clip(a, 0, None)
        top = int(a.max(initial=0))
        if significant_bits is None or top >= (1 << significant_bits):
            significant_bits = next((b for b in (8, 10, 12, 14, 16, 32) if top < (1 << b)), 32)
        full = (1 << significant_bits) - 1
        out = np.clip(np.rint(a * (255.0 / full)), 0, 255).astype(np.uint8)
    else:
        raise ImageRejected(f"the image has an unsupported pixel type {a.dtype}; export it as 8- or 16-bit.")
    if out.shape[-1] == 1:
        out = np.repeat(out, 3, axis=-1)
    return np.ascontiguousarray(out)


def decode_pil(data: bytes, fmt: str, name: str) -> tuple[np.ndarray, int]:
    """JPEG / PNG with Pillow's strict decoder; returns ``(array, bits)``. EXIF rotation applied."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data), formats=[fmt.upper()]) as im:
        im.load()  # raises on truncation (LOAD_TRUNCATED_IMAGES is False)
        if fmt == "jpeg":
            im = ImageOps.exif_transpose(im)
        mode = im.mode
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(im)
            bits = 16
        elif mode in ("RGB", "L", "RGBA", "LA"):
            arr = np.asarray(im)
            bits = 8
        else:  # palette, CMYK, 1-bit, YCbCr ...
            arr = np.asarray(im.convert("RGB"))
            bits = 8
    return arr, bits


def decode_png16(data: bytes, name: str) -> tuple[np.ndarray, int]:
    """16-bit colour PNG: Pillow would truncate to 8 bits, so decode with OpenCV."""
    import cv2
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
        im.load()  # integrity check with the strict decoder first
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError("OpenCV could not decode the PNG")
    if arr.ndim == 3:
        arr = arr[..., [2, 1, 0, 3][: arr.shape[-1]]] if arr.shape[-1] == 4 else arr[..., ::-1]
    return arr, 16


def decode_tiff(data: bytes, name: str) -> tuple[np.ndarray, int]:
    """First page of a TIFF with tifffile; returns ``(array, bits per sample)``."""
    import tifffile

    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        page = tif.pages.first
        if len(tif.pages) > 1:
            logger.warning("%s has %d pages; only the first is analysed", name, len(tif.pages))
        arr = page.asarray()
        bits = int(page.bitspersample)
    return arr, bits


def decode_dicom(data: bytes, name: str, strict: bool = True) -> tuple[np.ndarray, int, float | None]:
    """First frame of a DICOM image; returns ``(array, bits stored, um per pixel or None)``.

    ``um per pixel`` comes from Pixel Spacing (0028,0030) in mm. Non-square pixels raise
    :class:`CalibrationError` when ``strict`` (no explicit scale given), else are ignored.
    """
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data))
    if "PixelData" not in ds:
        raise ImageRejected(f"{name} is a DICOM file without pixel data; export the image itself.")
    try:
        arr = ds.pixel_array
    except Exception as exc:
        ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "unknown")
        raise ImageRejected(
            f"{name}: cannot decode DICOM pixel data (transfer syntax {getattr(ts, 'name', ts)}: {exc}). "
            "Export it uncompressed (Explicit VR Little Endian) or as JPEG/PNG/TIFF."
        ) from exc
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(getattr(ds, "SamplesPerPixel", 1))
    if frames > 1:
        logger.warning("%s has %d frames; only the first is analysed", name, frames)
        arr = arr[0]
    bits = int(getattr(ds, "BitsStored", arr.dtype.itemsize * 8))
    if np.issubdtype(arr.dtype, np.signedinteger):
        arr = arr.astype(np.int64) + (1 << (bits - 1))  # shift signed data to unsigned
    if samples == 1 and str(getattr(ds, "PhotometricInterpretation", "")) == "MONOCHROME1":
        arr = (1 << bits) - 1 - arr.astype(np.int64)  # MONOCHROME1: bright means low values
    spacing = None
    ps = ds.get("PixelSpacing")
    if ps is not None:
        try:
            row_mm, col_mm = float(ps[0]), float(ps[1])
        except (TypeError, ValueError, IndexError) as exc:
            msg = f"{name}: DICOM Pixel Spacing {ps!r} is unreadable; pass --um-per-px."
            raise CalibrationError(msg) from exc
        if row_mm <= 0 or col_mm <= 0:
            raise CalibrationError(f"{name}: DICOM Pixel Spacing {ps!r} is not positive; pass --um-per-px.")
        if abs(row_mm - col_mm) > 0.02 * max(row_mm, col_mm) and not strict:
            logger.warning("%s: non-square DICOM pixels (%g x %g mm) ignored", name, row_mm, col_mm)
        elif abs(row_mm - col_mm) > 0.02 * max(row_mm, col_mm):
            raise CalibrationError(
                f"{name}: DICOM pixels are not square (Pixel Spacing {row_mm} x {col_mm} mm); thickness and "
                "density would be distorted. Resample to square pixels or pass --um-per-px to override."
            )
        spacing = 1000.0 * (row_mm + col_mm) / 2.0
    return arr, bits, spacing
