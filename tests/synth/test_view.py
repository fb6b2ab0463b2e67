"""View: skin <-> pixel mapping, footprint and validation."""

from __future__ import annotations

import numpy as np
import pytest

from trichometry.errors import ConfigError
from trichometry.synth import SceneRanges, View, sample_view


def test_skin_px_round_trip_with_rotation_and_shift():
    v = View(um_per_px=2.8, width=128, height=96, centre_um=(150.0, -40.0), rotation_deg=33.0)
    pts = np.random.default_rng(0).uniform(-500, 500, (20, 2))
    assert np.allclose(v.px_to_skin(v.skin_to_px(pts)), pts)
    assert np.allclose(v.skin_to_px(np.array([150.0, -40.0])), [63.5, 47.5])


def test_rotation_turns_skin_directions():
    v = View(um_per_px=1.0, width=11, height=11, rotation_deg=90.0)
    # the skin +y axis is the image +x axis when the camera is turned by 90 degrees
    p = v.skin_to_px(np.array([[0.0, 0.0], [0.0, 3.0]]))
    assert np.allclose(p[1] - p[0], [3.0, 0.0])
    assert v.angle_to_px(90.0) == 0.0


@pytest.mark.parametrize(
    ("kw", "needle"),
    [({"um_per_px": 0.0}, "um_per_px"), ({"um_per_px": -1.0}, "um_per_px"), ({"width": 0}, "width"),
     ({"height": 2.5}, "height"), ({"jpeg_quality": 0}, "jpeg_quality"), ({"strip": "left"}, "strip")],
)  # fmt: skip
def test_bad_view_raises_config_error(kw, needle):
    base = {"um_per_px": 2.0, "width": 10, "height": 10}
    base.update(kw)
    with pytest.raises(ConfigError, match=needle):
        View(**base)


def test_sample_view_respects_ranges_and_is_seeded():
    r = SceneRanges(um_per_px=(3.0, 4.0), width=(200, 210), height=150, rotation_deg=(-5, 5))
    a = sample_view(r, np.random.default_rng(5))
    b = sample_view(r, np.random.default_rng(5))
    assert a.to_dict() == b.to_dict()
    assert 3.0 <= a.um_per_px <= 4.0 and 200 <= a.width <= 210 and a.height == 150
    assert -5 <= a.rotation_deg <= 5


def test_footprint_grows_with_rotation():
    v0 = View(um_per_px=2.0, width=100, height=50)
    v45 = View(um_per_px=2.0, width=100, height=50, rotation_deg=45.0)
    assert v0.footprint_um == pytest.approx((200.0, 100.0))
    assert v45.footprint_um[0] > 200.0 and v45.footprint_um[1] > 100.0
