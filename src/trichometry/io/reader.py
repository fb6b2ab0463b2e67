"""Read a trichoscopy image safely into ``(H, W, 3)`` uint8 RGB with its calibration.

Order of checks, each before the next costs anything:

1. byte-size cap (from ``os.stat`` for paths, before reading);
2. format from the magic bytes (JPEG, PNG, TIFF, DICOM; the file name is ignored);
3. width x height from the header against a pixel-count cap (decompression bombs);
4. no active content hidden after the image's end (polyglots: HTML, zip, PDF, programs);
5. decoding; any decoder failure becomes :class:`~trichometry.errors.ImageRejected`.

This is the one ingest guard: the CLI, the Python API, web uploads (through
:mod:`trichometry.store.images`) and zip batches (:mod:`trichometry.io.archive`) all
pass through it. Limits give :class:`~trichometry.errors.ImageTooLarge`.

16-bit data are mapped linearly to 8 bits over their significant bits: DICOM Bits
Stored when present, else the smallest of 10/12/14/16 bits that holds the image maximum
(so a 12-bit sensor in a 16-bit container is not rendered nearly black). Greyscale is
expanded to three channels and alpha is dropped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trichometry.errors import CalibrationError, ImageRejected, ImageTooLarge
from trichometry.io.calibration import DeviceProfile, resolve_calibration
from trichometry.io.decode import decode_dicom, decode_pil, decode_png16, decode_tiff, to_rgb8
from trichometry.io.polyglot import hidden_payload
from trichometry.io.sniff import header_size, sniff_format

logger = logging.getLogger(__name__)

#: Default caps; a 70x dermoscope image is 1.3 Mpx, the largest cameras about 50 Mpx.
MAX_PIXELS = 64_000_000
MAX_BYTES = 256 * 1024 * 1024
MIN_SIDE_PX = 32


@dataclass
class LoadedImage:
    """An image ready for analysis.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB.
        um_per_px: micrometres per pixel, or None when uncalibrated.
        calibration_source: ``"explicit"``, ``"dicom"``, ``"device-profile"`` or ``"none"``.
        calibration_note: where the scale came from, in words.
        bit_depth: bits per sample in the file (8, 12, 16, ...).
        format: ``"jpeg"``, ``"png"``, ``"tiff"``, ``"dicom"`` or ``"array"``.
        source: the path, or ``"<bytes>"`` / ``"<array>"``.
        sha256: SHA-256 of the file bytes (of the array bytes for arrays).
        dicom_um_per_px: the DICOM Pixel Spacing scale even when another source won.
    """

    image: np.ndarray
    um_per_px: float | None
    calibration_source: str
    calibration_note: str
    bit_depth: int
    format: str
    source: str
    sha256: str
    dicom_um_per_px: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def calibrated(self) -> bool:
        return self.um_per_px is not None


def _read_source(source: str | os.PathLike[str] | bytes, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise ImageTooLarge(
                f"<bytes> is {len(data) / 2**20:.0f} MiB, above the {max_bytes / 2**20:.0f} MiB limit; "
                "export a smaller image."
            )
        return data, "<bytes>"
    path = Path(source)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ImageRejected(f"{path} is not a file; give an image file or a folder of images.")
        if size > max_bytes:
            raise ImageTooLarge(
                f"{path} is {size / 2**20:.0f} MiB, above the {max_bytes / 2**20:.0f} MiB limit; "
                "export a smaller image."
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise ImageRejected(f"{path} does not exist; check the path.") from exc
    except PermissionError as exc:
        raise ImageRejected(f"{path} cannot be read (permission denied); check its permissions.") from exc
    except IsADirectoryError as exc:
        raise ImageRejected(f"{path} is a folder, not an image file.") from exc
    return data, str(path)


def read_image(
    source: str | os.PathLike[str] | bytes | np.ndarray,
    *,
    um_per_px: float | None = None,
    device: str | None = None,
    magnification: float | None = None,
    profiles: dict[str, dict[float, DeviceProfile]] | None = None,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> LoadedImage:
    """Read and calibrate one image.

    Args:
        source: a path, the file's bytes, or an ``(H, W, 3)`` / ``(H, W)`` array (RGB).
        um_per_px: explicit scale; wins over everything else.
        device, magnification: a device profile (see :mod:`trichometry.io.calibration`).
        profiles: device profiles (the built-in ones when None).
        max_pixels: refuse images whose header claims more pixels than this.
        max_bytes: refuse files larger than this.

    Returns:
        :class:`LoadedImage` with ``image`` ``(H, W, 3)`` uint8 RGB.

    Raises:
        ImageRejected: unreadable, not an image, unsupported, truncated, too large or too small.
        CalibrationError, ConfigError: invalid scale or unknown device.
    """
    dicom_um = None
    if isinstance(source, np.ndarray):
        if source.ndim not in (2, 3) or source.size == 0:
            raise ImageRejected(f"array of shape {source.shape} is not an image; pass (H, W, 3) RGB.")
        if source.shape[0] * source.shape[1] > max_pixels:
            raise ImageTooLarge(f"array of {source.shape[1]}x{source.shape[0]} px exceeds {max_pixels:,} px.")
        rgb = to_rgb8(source)
        name, fmt, bits = "<array>", "array", int(source.dtype.itemsize * 8)
        digest = hashlib.sha256(np.ascontiguousarray(source).tobytes()).hexdigest()
    else:
        data, name = _read_source(source, max_bytes)
        fmt = sniff_format(data, name)
        width, height, bits = header_size(data, fmt, name)
        if width * height > max_pixels:
            raise ImageTooLarge(
                f"{name} claims {width}x{height} px ({width * height / 1e6:.0f} Mpx), above the "
                f"{max_pixels / 1e6:.0f} Mpx limit; refused before decoding (possible decompression bomb). "
                "Export a smaller image."
            )
        payload = hidden_payload(data, fmt)
        if payload:
            raise ImageRejected(
                f"{name} hides {payload} (a disguised file); it was refused. Use the photo as the "
                "camera saved it."
            )
        digest = hashlib.sha256(data).hexdigest()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if fmt == "dicom":
                    arr, bits, dicom_um = decode_dicom(data, name, strict=um_per_px is None)
                elif fmt == "tiff":
                    arr, bits = decode_tiff(data, name)
                elif fmt == "png" and bits == 16 and data[25] in (2, 6):
                    arr, bits = decode_png16(data, name)
                else:
                    arr, bits = decode_pil(data, fmt, name)
        except (ImageRejected, CalibrationError):
            raise
        except MemoryError as exc:
            raise ImageTooLarge(f"{name} is too large to decode in the available memory.") from exc
        except Exception as exc:  # any decoder failure on damaged data
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise ImageRejected(
                f"{name} is truncated or corrupt: the {fmt.upper()} data cannot be decoded ({reason}). "
                "Re-export or re-take the image."
            ) from exc
        rgb = to_rgb8(arr, bits if fmt == "dicom" and bits > 8 else None)
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE_PX:
        raise ImageRejected(f"{name} is only {w}x{h} px; at least {MIN_SIDE_PX} px per side are needed.")
    value, src, note = resolve_calibration(
        width_px=w,
        explicit_um_per_px=um_per_px,
        dicom_um_per_px=dicom_um,
        device=device,
        magnification=magnification,
        profiles=profiles,
    )
    logger.info("read %s: %dx%d %s %d-bit, %s", name, w, h, fmt, bits, note)
    return LoadedImage(
        image=rgb,
        um_per_px=value,
        calibration_source=src,
        calibration_note=note,
        bit_depth=int(bits),
        format=fmt,
        source=name,
        sha256=digest,
        dicom_um_per_px=dicom_um,
    )
