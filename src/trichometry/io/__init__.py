"""Reading images (JPEG, PNG, TIFF, DICOM) safely, and their calibration in um per pixel."""

from __future__ import annotations

from trichometry.io.calibration import (
    CALIBRATION_SOURCES,
    DeviceProfile,
    check_um_per_px,
    find_profile,
    load_device_profiles,
    resolve_calibration,
)
from trichometry.io.decode import to_rgb8
from trichometry.io.reader import MAX_BYTES, MAX_PIXELS, LoadedImage, read_image
from trichometry.io.sniff import SUPPORTED_FORMATS, SUPPORTED_SUFFIXES, header_size, sniff_format

__all__ = [
    "CALIBRATION_SOURCES",
    "MAX_BYTES",
    "MAX_PIXELS",
    "SUPPORTED_FORMATS",
    "SUPPORTED_SUFFIXES",
    "DeviceProfile",
    "LoadedImage",
    "check_um_per_px",
    "find_profile",
    "header_size",
    "load_device_profiles",
    "read_image",
    "resolve_calibration",
    "sniff_format",
    "to_rgb8",
]
