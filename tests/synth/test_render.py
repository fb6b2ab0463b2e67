"""render: image properties, overlays, optics, texture persistence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from trichometry.synth import generate_sample, render


def test_image_is_rgb_uint8_and_hairs_are_darker_than_skin():
    s = generate_sample(
        21, width=160, height=120, um_per_px=8.0, density_per_cm2=300, pigment=0.0, grey_fraction=0
    )
    assert s.image.shape == (120, 160, 3) and s.image.dtype == np.uint8
    m = s.targets.shaft_mask.astype(bool)
    core = m & (s.targets.overlay_mask == 0)
    assert core.sum() > 50
    lum = s.image.mean(axis=2)
    assert lum[core].mean() < lum[~m].mean() - 30


def test_overlays_are_burned_in_and_masked(make_patch, plain_view):
    view = plain_view(
        2.8, 320, 256, strip="bottom", strip_text="2024-01-01 70x", scale_bar=True, circle=(100, 90, 200)
    )
    s = render(make_patch(), view, seed=0)
    om = s.targets.overlay_mask
    assert om.dtype == np.uint8 and om[-8:].all()  # the strip
    assert np.all(s.image[-8:, -20:] == 220)
    red = (s.image[..., 0] > 150) & (s.image[..., 1] < 90)
    assert red.sum() > 100  # the measurement circle
    assert om.sum() < om.size * 0.2


def test_texture_is_keyed_to_skin_position(make_patch, plain_view):
    patch = make_patch()
    a = render(patch, plain_view(4.0, 100, 80), seed=0).image.astype(int)
    b = render(patch, plain_view(4.0, 100, 80, centre_um=(40.0, 0.0)), seed=0).image.astype(int)
    # a 10 px shift: the overlapping parts agree up to rounding and the bilinear
    # enlargement of the smooth fields (computed on a reduced grid)
    same = np.abs(a[:, 10:] - b[:, :-10])
    assert same.mean() < 0.2 and same.max() <= 6
    assert np.abs(a[:, 10:] - b[:, 10:]).mean() > 5 * same.mean()


def test_noise_seed_changes_only_the_noise(make_hair, make_patch, plain_view):
    patch = make_patch(make_hair(1, (0.0, 0.0), 30.0))
    view = dataclasses.replace(plain_view(4.0, 100, 80), noise_sigma=4.0)
    a, b = render(patch, view, seed=1), render(patch, view, seed=2)
    assert a.image.tobytes() != b.image.tobytes()
    assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() < 6
    assert np.array_equal(a.targets.shaft_mask, b.targets.shaft_mask)


def test_any_small_size_works():
    for w, h in [(1, 1), (7, 3), (33, 64)]:
        s = generate_sample(3, width=w, height=h)
        assert s.image.shape == (h, w, 3)
        assert s.targets.shaft_mask.shape == (h, w)


def test_scale_bar_is_one_millimetre_long(make_patch, plain_view):
    view = plain_view(2.8, 1280, 1024, scale_bar=True)
    s = render(make_patch(), view, seed=0)
    row = 1024 - 120  # the bar's horizontal arm
    dark = np.flatnonzero(s.image[row].max(axis=1) < 70)
    bar = dark[dark < 600]
    assert bar.max() - bar.min() == pytest.approx(1000 / 2.8, abs=2)


def test_header_row_and_docstring_examples(make_patch, plain_view):
    import doctest
    import importlib

    view = plain_view(2.8, 640, 512, strip="top", strip_text="B183 | 640x512 | 2022/01/24 | mag: 70x")
    s = render(make_patch(), view, seed=0)
    top = s.targets.overlay_mask[:20]
    assert top.mean() > 0.3 and s.targets.overlay_mask[40:].sum() == 0
    for name in ("trichometry.synth.generate", "trichometry.synth.render"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0


def test_shaft_shading_has_darker_rims_and_lighter_core(make_hair, make_patch, plain_view):
    # a thick horizontal hair, no blur / noise / JPEG: read the profile across it
    hair = make_hair(1, (-300.0, 0.0), 0.0, diameter_um=100.0, length_um=600.0, pigment=0.4)
    s = render(make_patch(hair), plain_view(2.0, 200, 120), seed=0)
    col = s.image[:, 100].astype(float).mean(axis=1)
    on = np.flatnonzero(s.targets.shaft_mask[:, 100])
    assert len(on) == 50
    core = col[on[20:30]].mean()
    rims = np.r_[col[on[1:4]], col[on[-4:-1]]].mean()
    assert core > rims + 5
    assert col[on].max() < col[:10].mean() - 40  # the shaft is darker than the skin


def test_etched_plate_scale_ticks_every_tenth_millimetre(make_patch, plain_view):
    view = plain_view(4.0, 640, 400, etched_scale=True)
    s = render(make_patch(), view, seed=0)
    y = round(0.04 * 400) + 4
    row = s.targets.overlay_mask[y]
    starts = np.flatnonzero(np.diff(row.astype(int)) == 1)
    assert len(starts) > 10
    assert np.median(np.diff(starts)) == pytest.approx(100.0 / 4.0, abs=1.0)
    lum = s.image[y].mean(axis=1)
    assert lum[row > 0].mean() < lum[row == 0].mean() - 20
