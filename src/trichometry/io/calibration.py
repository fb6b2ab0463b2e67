"""Physical scale (micrometres per pixel): device profiles and the precedence rule.

Precedence, first that applies wins:

1. ``explicit``: a scale the user gave (``--um-per-px``);
2. ``dicom``: the DICOM Pixel Spacing tag (0028,0030), in mm;
3. ``device-profile``: a named device at a magnification (``--device``,
   ``--magnification``) from ``trichometry/resources/devices.json`` or a user file;
4. ``none``: uncalibrated. The image is analysed in pixels and never given a
   density per cm2.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from trichometry.errors import CalibrationError, ConfigError

logger = logging.getLogger(__name__)

#: Plausible range for trichoscopy images (160x ~ 0.5 um/px .. 10x ~ 25 um/px, with margin).
MIN_UM_PER_PX = 0.1
MAX_UM_PER_PX = 100.0

#: Environment variable naming an extra device-profile file (same layout as devices.json).
PROFILES_ENV = "TRICHOMETRY_DEVICE_PROFILES"

CALIBRATION_SOURCES = ("explicit", "dicom", "device-profile", "none")


@dataclass(frozen=True)
class DeviceProfile:
    """One device at one magnification.

    Attributes:
        device: profile name (``--device``).
        magnification: nominal magnification (``--magnification``).
        um_per_px: micrometres per pixel at ``reference_width_px``.
        reference_width_px: image width the scale was measured at.
        example: True when the value is illustrative, not measured on a real device.
        description: what the device is; ``source``: where the number comes from.
    """

    device: str
    magnification: float
    um_per_px: float
    reference_width_px: int
    example: bool = False
    description: str = ""
    source: str = ""

    def um_per_px_for_width(self, width_px: int) -> float:
        """Scale for an image ``width_px`` wide (the same field of view resampled)."""
        return self.um_per_px * self.reference_width_px / float(width_px)


def check_um_per_px(value: float, what: str = "--um-per-px") -> float:
    """Validate a scale; returns it as float.

    Raises:
        CalibrationError: not a finite number within the plausible range.
    """
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"{what} must be a number of micrometres per pixel, got {value!r}.") from exc
    if not math.isfinite(v) or not (MIN_UM_PER_PX <= v <= MAX_UM_PER_PX):
        raise CalibrationError(
            f"{what} = {value!r} um/px is outside the plausible range {MIN_UM_PER_PX}-{MAX_UM_PER_PX} um/px "
            "for trichoscopy. Check the units: a 70x image is about 2.8 um/px, a 20x image about 10 um/px."
        )
    return v


def _parse_profiles(doc: dict, origin: str) -> dict[str, dict[float, DeviceProfile]]:
    out: dict[str, dict[float, DeviceProfile]] = {}
    try:
        for name, dev in doc["devices"].items():
            mags: dict[float, DeviceProfile] = {}
            for mag, entry in dev["magnifications"].items():
                prof = DeviceProfile(
                    device=str(name),
                    magnification=float(mag),
                    um_per_px=check_um_per_px(entry["um_per_px"], f"{origin}: {name} at {mag}x"),
                    reference_width_px=int(entry["reference_width_px"]),
                    example=bool(dev.get("example", False)),
                    description=str(dev.get("description", "")),
                    source=str(dev.get("source", "")),
                )
                if prof.reference_width_px <= 0:
                    raise ValueError(f"reference_width_px must be positive for {name} at {mag}x")
                mags[prof.magnification] = prof
            out[str(name)] = mags
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"device profile file {origin} is malformed ({exc}); follow the layout of "
            "trichometry/resources/devices.json."
        ) from exc
    return out


def load_device_profiles(path: str | os.PathLike[str] | None = None) -> dict[str, dict[float, DeviceProfile]]:
    """Load the built-in profiles, then the file in ``$TRICHOMETRY_DEVICE_PROFILES``, then ``path``.

    Later files add devices or replace same-named ones.

    Returns:
        ``{device name: {magnification: DeviceProfile}}``.

    Raises:
        ConfigError: a profile file is missing or malformed.
    """
    text = resources.files("trichometry.resources").joinpath("devices.json").read_text("utf-8")
    profiles = _parse_profiles(json.loads(text), "built-in devices.json")
    for extra in (os.environ.get(PROFILES_ENV), path):
        if not extra:
            continue
        p = Path(extra)
        try:
            doc = json.loads(p.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read device profile file {p}: {exc}. Fix or remove it.") from exc
        profiles.update(_parse_profiles(doc, str(p)))
    return profiles


def find_profile(
    device: str,
    magnification: float | None = None,
    profiles: dict[str, dict[float, DeviceProfile]] | None = None,
) -> DeviceProfile:
    """Look up one device profile.

    Args:
        device: device name.
        magnification: needed when the device has several; optional when it has one.
        profiles: as from :func:`load_device_profiles` (loaded when None).

    Raises:
        ConfigError: unknown device or magnification; the message lists the valid ones.
    """
    profiles = load_device_profiles() if profiles is None else profiles
    if device not in profiles:
        raise ConfigError(f"unknown device {device!r}; known devices: {', '.join(sorted(profiles))}.")
    mags = profiles[device]
    listed = ", ".join(f"{m:g}" for m in sorted(mags))
    if magnification is None:
        if len(mags) == 1:
            return next(iter(mags.values()))
        raise ConfigError(
            f"device {device!r} has several magnifications ({listed}); choose one with --magnification."
        )
    prof = mags.get(float(magnification))
    if prof is None:
        raise ConfigError(f"device {device!r} has no {magnification:g}x profile; available: {listed}.")
    return prof


def resolve_calibration(
    *,
    width_px: int,
    explicit_um_per_px: float | None = None,
    dicom_um_per_px: float | None = None,
    device: str | None = None,
    magnification: float | None = None,
    profiles: dict[str, dict[float, DeviceProfile]] | None = None,
) -> tuple[float | None, str, str]:
    """Apply the precedence rule.

    Returns:
        ``(um_per_px or None, source, note)`` with source one of :data:`CALIBRATION_SOURCES`
        and a short human-readable note on where the number came from.

    Raises:
        CalibrationError: an explicit scale is invalid.
        ConfigError: an unknown device or magnification was named.
    """
    profile = find_profile(device, magnification, profiles) if device else None
    if magnification is not None and not device:
        logger.warning("--magnification without --device is ignored; name the device too")
    if explicit_um_per_px is not None:
        v = check_um_per_px(explicit_um_per_px)
        if dicom_um_per_px is not None and abs(dicom_um_per_px - v) > 0.05 * v:
            logger.warning("explicit %.4g um/px overrides DICOM Pixel Spacing %.4g um/px", v, dicom_um_per_px)
        return v, "explicit", f"{v:g} um/px given explicitly"
    if dicom_um_per_px is not None:
        v = check_um_per_px(dicom_um_per_px, "DICOM Pixel Spacing")
        return v, "dicom", f"{v:g} um/px from DICOM Pixel Spacing (0028,0030)"
    if profile is not None:
        v = profile.um_per_px_for_width(width_px)
        note = f"{v:.4g} um/px from device profile {profile.device} at {profile.magnification:g}x"
        if width_px != profile.reference_width_px:
            note += f" (rescaled from {profile.reference_width_px} px to {width_px} px wide)"
            logger.warning(
                "image width %d px differs from the profile's %d px; scale rescaled to %.4g um/px",
                width_px,
                profile.reference_width_px,
                v,
            )
        if profile.example:
            note += "; EXAMPLE profile, not measured on a real device"
            logger.warning("device profile %r is an example, not a measured calibration", profile.device)
        return check_um_per_px(v, f"device profile {profile.device}"), "device-profile", note
    return None, "none", "uncalibrated: measured in pixels, no density per cm2"
