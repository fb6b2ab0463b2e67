"""Recognise an image file by its content and read its size before any decoder runs.

Security first (see ``RELIABILITY.md``): the format is decided from the magic bytes,
never from the file name, and the pixel count is read from the header so that a
decompression bomb (a tiny file that claims a huge image) is refused before a decoder
allocates memory for it.
"""

from __future__ import annotations

import io
import logging
import struct

from trichometry.errors import ImageRejected

logger = logging.getLogger(__name__)

#: Formats the reader accepts, by the name used in results.
SUPPORTED_FORMATS: tuple[str, ...] = ("jpeg", "png", "tiff", "dicom")

#: File name suffixes scanned in folders (the content still decides the format).
SUPPORTED_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".dcm", ".dicom")

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF


def sniff_format(data: bytes, name: str = "input") -> str:
    """Return ``"jpeg"``, ``"png"``, ``"tiff"`` or ``"dicom"`` from the magic bytes.

    Args:
        data: the whole file (only the first 132 bytes are looked at).
        name: how to call the file in an error message.

    Raises:
        ImageRejected: the bytes are empty or not one of the supported formats.
    """
    if len(data) == 0:
        raise ImageRejected(f"{name} is empty (0 bytes); re-export or re-copy the image.")
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == _PNG_MAGIC:
        return "png"
    if data[:4] in _TIFF_MAGICS:
        return "tiff"
    if len(data) >= 132 and data[128:132] == b"DICM":
        return "dicom"
    head = data[:64].lstrip()
    hint = ""
    if head[:1] in (b"<", b"{") or all(32 <= c < 127 or c in (9, 10, 13) for c in head[:64]):
        hint = " (it looks like text, not a picture)"
    raise ImageRejected(
        f"{name} is not a supported image{hint}: the content is not JPEG, PNG, TIFF or DICOM "
        "whatever its file name says. Export the photo from the dermoscope as JPEG, PNG, TIFF or DICOM."
    )


def _jpeg_size(data: bytes, name: str) -> tuple[int, int, int]:
    """Walk the JPEG markers to the first start-of-frame; returns (width, height, bits)."""
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise ImageRejected(f"{name} is a damaged JPEG (bad marker at byte {pos}); re-export or re-take.")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2:
            raise ImageRejected(f"{name} is a damaged JPEG (bad segment length); re-export or re-take it.")
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 9 > n:
                break
            bits = data[pos + 4]
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height, bits
        if marker == 0xDA:  # start of scan before any frame header
            break
        pos += 2 + length
    raise ImageRejected(
        f"{name} is truncated or damaged: its JPEG header has no image size. Re-export or re-take the photo."
    )


def _png_size(data: bytes, name: str) -> tuple[int, int, int]:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageRejected(f"{name} is truncated or damaged: its PNG header is incomplete. Re-export it.")
    width, height = struct.unpack(">II", data[16:24])
    return width, height, data[24]


def _tiff_size(data: bytes, name: str) -> tuple[int, int, int]:
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            page = tif.pages.first
            shape = page.shape
            bits = int(page.bitspersample)
            width, height = int(page.imagewidth), int(page.imagelength)
            if len(shape) < 2:
                raise ValueError(f"unexpected page shape {shape}")
    except ImageRejected:
        raise
    except Exception as exc:  # tifffile raises many kinds on damaged headers
        raise ImageRejected(
            f"{name} is truncated or damaged: its TIFF header cannot be read ({type(exc).__name__}). "
            "Re-export or re-take the image."
        ) from exc
    return width, height, bits


def _dicom_size(data: bytes, name: str) -> tuple[int, int, int]:
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
        width, height = int(ds.Columns), int(ds.Rows)
        bits = int(getattr(ds, "BitsStored", getattr(ds, "BitsAllocated", 8)))
    except Exception as exc:
        raise ImageRejected(
            f"{name} is not a readable DICOM image ({type(exc).__name__}: it lacks a valid header with "
            "Rows/Columns). Re-export it from the archive."
        ) from exc
    return width, height, bits


def header_size(data: bytes, fmt: str, name: str = "input") -> tuple[int, int, int]:
    """Read ``(width, height, bits_per_sample)`` from the header without decoding pixels.

    Raises:
        ImageRejected: the header is missing, truncated or damaged.
    """
    readers = {"jpeg": _jpeg_size, "png": _png_size, "tiff": _tiff_size, "dicom": _dicom_size}
    if fmt not in readers:
        allowed = ", ".join(SUPPORTED_FORMATS)
        raise ImageRejected(f"{name}: format {fmt!r} is not supported; use one of {allowed}.")
    width, height, bits = readers[fmt](data, name)
    if width <= 0 or height <= 0:
        raise ImageRejected(f"{name} claims an empty image ({width}x{height} px); re-export it.")
    return width, height, bits
