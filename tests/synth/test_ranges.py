"""SceneRanges: defaults, overrides and clear errors for impossible values."""

from __future__ import annotations

import pytest

from trichometry.errors import ConfigError, TrichometryError
from trichometry.synth import SceneRanges


def test_defaults_are_valid_and_round_trip():
    r = SceneRanges()
    assert r.um_per_px == (2.0, 10.0)
    assert SceneRanges.from_dict(r.to_dict()) == r


def test_scalar_override_fixes_a_range():
    r = SceneRanges().with_overrides(width=256, um_per_px=2.8, density_per_cm2=(100, 200))
    assert r.width == (256, 256)
    assert r.um_per_px == (2.8, 2.8)
    assert r.density_per_cm2 == (100.0, 200.0)


@pytest.mark.parametrize(
    ("kw", "needles"),
    [
        ({"hair_density": 3}, ["hair_density", "density_per_cm2"]),
        ({"density_per_cm2": (300, 100)}, ["density_per_cm2", "300", "100", "low > high"]),
        ({"density_per_cm2": (100, 5000)}, ["density_per_cm2", "5000", "[0, 1000]"]),
        ({"vellus_diameter_um": (-5, 20)}, ["vellus_diameter_um", "-5", "allowed range"]),
        ({"um_per_px": 0}, ["um_per_px", "0", "[0.5, 50]"]),
        ({"um_per_px": -2.0}, ["um_per_px", "-2"]),
        ({"width": 0}, ["width", "0", "[1, 8192]"]),
        ({"height": (100.5, 200)}, ["height", "whole numbers"]),
        ({"p_strip": 1.5}, ["p_strip", "1.5", "[0, 1]"]),
        ({"unit_size_weights": (1, 1)}, ["unit_size_weights", "4"]),
        ({"fitzpatrick": "dark"}, ["fitzpatrick", "dark"]),
        ({"clipped_length_um": float("nan")}, ["clipped_length_um", "not a number"]),
    ],
)
def test_bad_values_raise_config_error_naming_parameter_value_and_range(kw, needles):
    with pytest.raises(ConfigError) as exc:
        SceneRanges.from_dict(kw)
    msg = str(exc.value)
    for n in needles:
        assert n in msg, (n, msg)
    assert isinstance(exc.value, TrichometryError)


def test_names_lists_every_field():
    assert "density_per_cm2" in SceneRanges.names()
    assert len(SceneRanges.names()) == len(SceneRanges().to_dict())


def test_presets_are_valid_and_unknown_names_are_listed():
    from trichometry.synth import PRESETS

    for name in PRESETS:
        assert isinstance(SceneRanges.preset(name), SceneRanges)
    assert SceneRanges.preset("trial_70x", density_per_cm2=100).density_per_cm2 == (100.0, 100.0)
    with pytest.raises(ConfigError, match="fdu_like"):
        SceneRanges.preset("fdu")
