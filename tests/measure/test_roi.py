from __future__ import annotations

import math

import numpy as np
import pytest

from trichometry.errors import CalibrationError, ConfigError
from trichometry.measure.roi import Roi


def test_circle_area_and_clipping():
    inner = Roi.circle(100, 100, 40).mask((200, 200))
    assert abs(inner.sum() - math.pi * 40**2) / (math.pi * 40**2) < 0.01
    corner = Roi.circle(-0.5, -0.5, 40).mask((200, 200))  # centred on the frame corner: a quarter
    assert abs(corner.sum() - math.pi * 40**2 / 4) / (math.pi * 40**2 / 4) < 0.03


def test_contains_matches_geometry_and_frame():
    roi = Roi.circle(50, 50, 10)
    pts = np.array([[50, 50], [59.9, 50], [60.1, 50], [-1, 50]])
    assert roi.contains(pts, (100, 100)).tolist() == [True, True, False, False]
    assert Roi.full().contains(np.array([[99.4, 0], [99.6, 0]]), (100, 100)).tolist() == [True, False]


def test_parse_pixels_mm_and_centre():
    assert Roi.parse("circle:10,20,5", None).params == (10.0, 20.0, 5.0)
    r = Roi.parse("circle: 1, 2, 0.5 mm", 5.0)
    assert r.params == pytest.approx((200.0, 400.0, 100.0))
    c = Roi.parse("circle:c,c,100um", 2.0).resolved((101, 201))
    assert c.params == pytest.approx((100.0, 50.0, 50.0))
    assert Roi.parse("", None).kind == "full" and Roi.parse(None, None).kind == "full"


def test_target_area_is_one_cm2_or_clipped():
    um = 10.0  # 1 cm2 circle has r = 5642 um = 564 px
    big = Roi.parse("target-area", um)
    area_cm2 = big.mask((1200, 1200)).sum() * (um * 1e-4) ** 2
    assert area_cm2 == pytest.approx(1.0, rel=0.005)
    small = big.mask((1000, 1300))  # the frame cuts the circle: the clipped area is used
    full_px = math.pi * (math.sqrt(1 / math.pi) * 1e4 / um) ** 2
    assert 0.8 * full_px < small.sum() < 0.97 * full_px and small.sum() < 1000 * 1300
    half = Roi.parse("target-area:0.5", um).mask((1200, 1200)).sum() * (um * 1e-4) ** 2
    assert half == pytest.approx(0.5, rel=0.01)


def test_polygon_area_and_contains():
    roi = Roi.parse("polygon:10,10;50,10;50,30;10,30", None)
    m = roi.mask((64, 64))
    assert m.sum() == pytest.approx(41 * 21, rel=0.06)
    assert roi.contains(np.array([[30, 20], [5, 20]]), (64, 64)).tolist() == [True, False]


@pytest.mark.parametrize(
    "spec",
    ["circle:1,2", "circle:a,b,c", "polygon:0,0;1,1", "polygon:0,0;1,1;2,2", "square:1", "circle:1,1,-3"],
)
def test_bad_specs(spec):
    with pytest.raises(ConfigError):
        Roi.parse(spec, 2.0)


def test_physical_units_need_calibration():
    with pytest.raises(CalibrationError, match="um per pixel"):
        Roi.parse("circle:1,1,1mm", None)
    with pytest.raises(CalibrationError):
        Roi.parse("target-area", None)
