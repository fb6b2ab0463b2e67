"""Shaft geometry: the mask is exactly the pixels within the half-width of the centreline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trichometry.synth import render
from trichometry.synth.raster import rasterise_shaft, split_polyline


def _perpendicular_width(mask: np.ndarray, p: np.ndarray, normal: np.ndarray, reach: float) -> float:
    """Width of ``mask`` along the line ``p + t * normal`` (nearest-pixel lookup, 0.02 px steps)."""
    t = np.arange(-reach, reach, 0.02)
    pts = p[None, :] + t[:, None] * normal[None, :]
    ij = np.floor(pts + 0.5).astype(int)
    h, w = mask.shape
    ok = (ij[:, 0] >= 0) & (ij[:, 0] < w) & (ij[:, 1] >= 0) & (ij[:, 1] < h)
    return float(mask[ij[ok, 1], ij[ok, 0]].sum() * 0.02)


@pytest.mark.parametrize(
    ("um_per_px", "diameter_um", "angle_deg"),
    [(2.8, 80.0, 0.0), (2.8, 20.0, 33.0), (2.0, 110.0, 71.0), (5.0, 45.0, 128.0), (10.0, 60.0, -20.0)],
)
def test_mask_width_perpendicular_matches_diameter(
    make_hair, make_patch, plain_view, um_per_px, diameter_um, angle_deg
):
    view = plain_view(um_per_px, 200, 160)
    length = 90 * um_per_px
    exit_um = (
        -math.cos(math.radians(angle_deg)) * length / 2,
        -math.sin(math.radians(angle_deg)) * length / 2,
    )
    hair = make_hair(1, exit_um, angle_deg, diameter_um=diameter_um, length_um=length)
    s = render(make_patch(hair), view, seed=0)
    (ht,) = s.truth.hairs
    mask = s.targets.instance_ids == ht.hair_id
    assert np.array_equal(mask, s.targets.shaft_mask.astype(bool))
    c = ht.centreline
    d = c[-1] - c[0]
    normal = np.array([-d[1], d[0]]) / np.hypot(*d)
    for f in (0.3, 0.5, 0.7):
        p = c[0] + f * d
        width = _perpendicular_width(mask, p, normal, diameter_um / um_per_px + 4)
        assert abs(width - diameter_um / um_per_px) <= 1.0, (f, width)


@pytest.mark.parametrize("angle_deg", [0.0, 17.0, 45.0, 90.0, 203.0])
def test_straight_shaft_mask_equals_analytic_shape(angle_deg):
    """Pixel centres within r of the segment (between its square ends) and no others."""
    a = np.array([30.3, 40.7])
    u = np.array([math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))])
    pts = split_polyline(np.stack([a, a + 70.0 * u]), max_seg_px=64.0, min_seg_px=10.0)
    ras = rasterise_shaft(pts, 24.0, 24.0, 2.0, (120, 130))  # r = 6 px
    assert ras is not None
    yy, xx = np.mgrid[0:120, 0:130]
    v = np.stack([xx - a[0], yy - a[1]], axis=-1)
    along = v @ u
    perp = v @ np.array([-u[1], u[0]])
    expected = (np.abs(perp) <= 6.0) & (along >= 0) & (along <= 70.0)
    got = np.zeros((120, 130), dtype=bool)
    got[ras.ys[ras.mask], ras.xs[ras.mask]] = True
    assert np.array_equal(got, expected)
    assert np.allclose(ras.diameter_um, 24.0)


def test_taper_gives_local_diameter_along_the_shaft():
    pts = np.array([[10.0, 50.0], [190.0, 50.0]])
    ras = rasterise_shaft(pts, 40.0, 20.0, 1.0, (100, 200))
    on = ras.mask
    expected = 40.0 + (20.0 - 40.0) * np.clip(ras.xs[on] - 10.0, 0, 180) / 180.0
    assert np.allclose(ras.diameter_um[on], expected, atol=1e-3)


def test_coverage_is_anti_aliased_and_consistent_with_mask():
    pts = np.array([[5.2, 20.4], [60.7, 33.1]])
    ras = rasterise_shaft(pts, 9.0, 9.0, 1.0, (60, 70))
    assert ((ras.coverage > 0) & (ras.coverage < 1)).any()  # soft edges
    assert np.all(ras.coverage[ras.mask] >= 0.5 - 1e-6)
    assert np.all(ras.coverage[~ras.mask] <= 0.5 + 1e-6)


def test_curved_shaft_has_no_gaps(make_hair, make_patch, plain_view):
    view = plain_view(2.0, 200, 200)
    hair = make_hair(
        1, (-150.0, 0.0), 0.0, clipped=False, length_um=3000.0, curvature_per_mm=1.5, diameter_um=30.0
    )
    s = render(make_patch(hair), view, seed=0)
    (ht,) = s.truth.hairs
    mask = s.targets.shaft_mask.astype(bool)
    c = ht.centreline
    seg = np.diff(c, axis=0)
    for k in range(0, len(seg), 3):
        p = c[k] + 0.5 * seg[k]
        if not (5 < p[0] < 195 and 5 < p[1] < 195):
            continue
        n = np.array([-seg[k][1], seg[k][0]]) / np.hypot(*seg[k])
        assert abs(_perpendicular_width(mask, p, n, 20) - 15.0) <= 1.0


def test_shaft_outside_image_gives_none():
    assert rasterise_shaft(np.array([[-50.0, -50.0], [-20.0, -30.0]]), 20.0, 20.0, 1.0, (40, 40)) is None


def test_rotated_box_scan_matches_brute_force():
    from trichometry.synth.raster import _rect_pixels

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:90, 0:120]
    for _ in range(40):
        a = rng.uniform(-20, 130, 2)
        ang = rng.uniform(0, 2 * np.pi)
        d = np.array([np.cos(ang), np.sin(ang)])
        lo, hi, pad = -rng.uniform(0, 5), rng.uniform(0, 80), rng.uniform(0.5, 12)
        ys, xs = _rect_pixels(a, d[0], d[1], lo, hi, pad, 120, 90)
        got = np.zeros((90, 120), dtype=bool)
        got[ys.astype(int), xs.astype(int)] = True
        assert len(ys) == got.sum()  # no pixel twice
        v = np.stack([xx - a[0], yy - a[1]], axis=-1)
        along, perp = v @ d, v @ np.array([-d[1], d[0]])
        inside = (along >= lo + 1e-6) & (along <= hi - 1e-6) & (np.abs(perp) <= pad - 1e-6)
        outside = (along < lo - 1e-6) | (along > hi + 1e-6) | (np.abs(perp) > pad + 1e-6)
        assert got[inside].all() and not got[outside].any()


def test_natural_tip_narrows_to_a_point():
    from trichometry.synth.raster import TIP_POINT

    pts = np.array([[10.0, 50.3], [190.0, 50.3]])
    ras = rasterise_shaft(pts, 40.0, 40.0, 1.0, (100, 200), tip_zone_um=60.0)
    on = ras.mask
    s = np.clip(ras.xs[on] - 10.0, 0, 180)
    expected = 40.0 * (TIP_POINT + (1 - TIP_POINT) * np.clip((180.0 - s) / 60.0, 0, 1))
    assert np.allclose(ras.diameter_um[on], expected, atol=1e-3)
    widths = [int((ras.xs[on] == x).sum()) for x in (60, 160, 185)]
    assert widths[0] == 40 and widths[1] < 40 and widths[2] < widths[1]
