from __future__ import annotations

import math

import pytest

from trichometry.reports.parameters import PARAMETER_BY_CODE, hair_diameters_um, measurement_view


def _m(widths, count=None, area=0.5, **extra):
    hairs = [{"hair_id": i + 1, "thickness_um": w} for i, w in enumerate(widths)]
    n = len(hairs) if count is None else count
    return {"hair_count": n, "area_cm2": area, "density_per_cm2": n / area, "hairs": hairs, **extra}


def value(code, m, cut=30.0):
    return PARAMETER_BY_CODE[code].extract(measurement_view(m), cut)


def test_nonvellus_density_and_vellus_share_by_hand():
    m = _m([10.0, 29.9, 30.0, 60.0, 80.0])  # 2 vellus, 3 non-vellus, area 0.5 cm2
    assert value("DENS", m) == pytest.approx(10.0)
    assert value("NVDENS", m) == pytest.approx(6.0)
    assert value("VELLPCT", m) == pytest.approx(40.0)
    assert value("NVDENS", m, cut=40.0) == pytest.approx(4.0)
    assert value("MEANDIAM", m) == pytest.approx(41.98)
    assert value("CUMTHICK", m) == pytest.approx(209.9 / 1000 / 0.5)


def test_hairs_without_width_are_split_like_the_measured_ones():
    m = _m([20.0, 50.0, 50.0, 60.0])
    m["hairs"] += [{"hair_id": 5, "thickness_um": None}, {"hair_id": 6}]
    m["hair_count"], m["density_per_cm2"] = 6, 12.0
    assert hair_diameters_um(m) == ([20.0, 50.0, 50.0, 60.0], 6)
    assert value("NVDENS", m) == pytest.approx(12.0 * 3 / 4)


def test_missing_per_hair_widths_give_nan_not_zero():
    m = {"hair_count": 10, "area_cm2": 0.5}
    assert value("DENS", m) == pytest.approx(20.0)
    assert math.isnan(value("NVDENS", m))
    assert math.isnan(value("VELLPCT", m))
    assert value("NVDENS", _m([], count=0)) == 0.0


def test_library_measurement_with_nested_summary_is_read():
    m = {
        "summary": {"hair_count": 4, "area_cm2": 0.2, "density_per_cm2": 20.0, "mean_diameter_um": 45.0},
        "hairs": [{"thickness_um": w} for w in (20.0, 40.0, 50.0, 70.0)],
    }
    assert value("HAIRCNT", m) == 4
    assert value("MEANDIAM", m) == 45.0
    assert value("NVDENS", m) == pytest.approx(15.0)
