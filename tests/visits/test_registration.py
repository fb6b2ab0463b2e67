from __future__ import annotations

import cv2
import numpy as np
import pytest

from trichometry.errors import ConfigError, RegistrationError
from trichometry.visits import RegistrationConfig, register
from trichometry.visits import similarity as sim


def _reg(pf, **kw):
    b, f = pf.base, pf.follow
    return register(b.xy_px, f.xy_px, um_per_px=b.um_per_px, base_size=b.size, follow_size=f.size, **kw)


@pytest.mark.parametrize(("rot", "shift"), [(0.0, (0.0, 0.0)), (12.0, (60.0, -40.0)), (-150.0, (90.0, 70.0))])
def test_recovers_shift_and_rotation_despite_turnover(make_paired, rot, shift):
    pf = make_paired(seed=3, rotation_deg=rot, shift_px=shift, p_lost=0.15, p_new=0.1)
    reg = _reg(pf)
    scale, r, _ = sim.decompose(reg.matrix)
    assert abs(scale - 1) < 0.01
    assert abs((r - rot + 180) % 360 - 180) < 0.5
    # Check the transform where it matters: on the baseline field.
    corners = sim.frame_polygon(*pf.base.size)
    err = np.hypot(*(reg.apply(corners) - sim.apply(pf.follow_to_base, corners)).T)
    assert err.max() < 3.0  # px = 15 um
    assert reg.confidence > 0.6 and reg.inlier_ratio > 0.7
    assert reg.to_dict()["method"] == "points"


def test_small_scale_change_is_recovered(make_paired):
    pf = make_paired(seed=4, rotation_deg=5.0)
    f = pf.follow
    # The follow-up photo taken 4 % more magnified: pixel coordinates grow by 4 %.
    scaled = f.xy_px * 1.04
    reg = register(pf.base.xy_px, scaled, um_per_px=5.0, base_size=pf.base.size, follow_size=(666, 532))
    assert abs(reg.scale - 1 / 1.04) < 0.005


def test_different_areas_are_refused(make_paired):
    a = make_paired(seed=10)
    b = make_paired(seed=11)
    with pytest.raises(RegistrationError, match="different areas"):
        register(a.base.xy_px, b.follow.xy_px, um_per_px=5.0, base_size=(640, 512), follow_size=(640, 512))


def test_too_few_hairs_are_refused():
    pts = np.array([[10.0, 10.0], [50.0, 40.0]])
    with pytest.raises(RegistrationError):
        register(pts, pts, um_per_px=5.0, base_size=(100, 100), follow_size=(100, 100))


def test_bad_config_and_calibration_raise_config_error():
    with pytest.raises(ConfigError):
        RegistrationConfig(tolerance_um=0)
    with pytest.raises(ConfigError):
        register(np.zeros((5, 2)), np.zeros((5, 2)), um_per_px=0, base_size=(10, 10), follow_size=(10, 10))


def _texture(seed: int, size: int = 420) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (size, size)).astype(np.float32), (0, 0), 2.0)
    img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return np.dstack([img] * 3)


def test_image_features_register_a_rotated_crop_without_hairs():
    big = _texture(0)
    m = cv2.getRotationMatrix2D((210, 210), 20.0, 1.0)
    rotated = cv2.warpAffine(big, m, (420, 420))
    base, follow = big[110:310, 110:310], rotated[100:300, 120:320]
    reg = register(
        np.zeros((0, 2)), np.zeros((0, 2)), um_per_px=5.0, base_size=(200, 200), follow_size=(200, 200),
        base_image=base, follow_image=follow,
    )  # fmt: skip
    assert reg.method == "features"
    assert abs(abs(reg.rotation_deg) - 20.0) < 1.0
    other = _texture(1)[110:310, 110:310]
    with pytest.raises(RegistrationError):
        register(
            np.zeros((0, 2)), np.zeros((0, 2)), um_per_px=5.0, base_size=(200, 200), follow_size=(200, 200),
            base_image=base, follow_image=other,
        )  # fmt: skip
