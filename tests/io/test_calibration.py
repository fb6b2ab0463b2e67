"""Calibration: device profiles and the precedence rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trichometry.errors import CalibrationError, ConfigError
from trichometry.io import find_profile, load_device_profiles, resolve_calibration


def test_builtin_profiles_documented_and_fdu_scale() -> None:
    profiles = load_device_profiles()
    fdu = find_profile("fdu-70x", 70, profiles)
    assert fdu.um_per_px == 2.8 and fdu.reference_width_px == 1280 and not fdu.example
    generic = profiles["generic-dermoscope"]
    assert {20.0, 50.0, 70.0} <= set(generic)
    assert all(p.example for p in generic.values())  # honestly labelled
    assert find_profile("fdu-70x", None, profiles).magnification == 70  # single magnification: optional


def test_unknown_device_or_magnification_lists_valid_ones() -> None:
    with pytest.raises(ConfigError, match="fdu-70x"):
        find_profile("nope")
    with pytest.raises(ConfigError, match="20, 50, 70"):
        find_profile("generic-dermoscope", 35)
    with pytest.raises(ConfigError, match="--magnification"):
        find_profile("generic-dermoscope")


def test_precedence_and_width_rescale() -> None:
    assert resolve_calibration(width_px=1280)[:2] == (None, "none")
    v, src, _ = resolve_calibration(width_px=1280, device="fdu-70x", magnification=70)
    assert (v, src) == (2.8, "device-profile")
    v, _, note = resolve_calibration(width_px=640, device="fdu-70x")
    assert v == pytest.approx(5.6) and "rescaled" in note
    assert resolve_calibration(width_px=640, dicom_um_per_px=3.1, device="fdu-70x")[:2] == (3.1, "dicom")
    both = resolve_calibration(width_px=640, explicit_um_per_px=2.0, dicom_um_per_px=3.1)
    assert both[:2] == (2.0, "explicit")
    _, _, note = resolve_calibration(width_px=1280, device="generic-dermoscope", magnification=20)
    assert "EXAMPLE" in note


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), 1e6, "abc"])
def test_invalid_explicit_scale(bad: object) -> None:
    with pytest.raises(CalibrationError, match=r"um/px|number"):
        resolve_calibration(width_px=100, explicit_um_per_px=bad)  # type: ignore[arg-type]


def test_user_profile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mag = {"50": {"um_per_px": 4.1, "reference_width_px": 1600}}
    doc = {"devices": {"clinic-scope": {"magnifications": mag}}}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setenv("TRICHOMETRY_DEVICE_PROFILES", str(path))
    assert find_profile("clinic-scope", 50, load_device_profiles()).um_per_px == 4.1
    path.write_text('{"devices": {"x": {"magnifications": {"50": {}}}}}')
    with pytest.raises(ConfigError, match="malformed"):
        load_device_profiles()
