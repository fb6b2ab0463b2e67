"""The optics width estimator on rendered bars of known width and blur."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from trichometry.measure.optics_width import (
    MODEL_SE_PX,
    blurred_bar,
    combine,
    estimate_blur,
    fit_sections,
    optics_width,
)
from trichometry.measure.thickness import section_profiles

TRACE = np.array([[60.0, 110.0], [60.0, 10.0]])  # vertical, exit at the bottom


def bar_image(width_px: float, sigma_px: float, noise: float, seed: int = 0, contrast: float = 120.0):
    """Darkness image of a vertical bar: exact area coverage per pixel column, then blur and noise."""
    ss = 16
    x = (np.arange(120 * ss) + 0.5) / ss - 0.5
    cover = (np.abs(x - 60.3) <= width_px / 2).astype(float).reshape(120, ss).mean(axis=1)
    img = np.tile(cover, (120, 1)) * contrast + 50.0
    if sigma_px > 0:
        img = cv2.GaussianBlur(img, (0, 0), sigma_px)
    return (img + np.random.default_rng(seed).normal(0.0, noise, img.shape)).astype(np.float32)


def test_blurred_bar_by_hand():
    # a bar much wider than its blur is 1 inside, 0 far outside and 1/2 on its edges
    v = blurred_bar(np.array([0.0, 5.0, -5.0, 50.0]), 0.0, 10.0, 0.5)
    assert v == pytest.approx([1.0, 0.5, 0.5, 0.0], abs=1e-6)


def test_fit_recovers_width_of_1d_profiles():
    t = np.arange(-15, 15.01, 0.25)
    for w, s in ((2.0, 1.0), (4.0, 1.5), (10.0, 0.8)):
        prof = 30.0 + 0.2 * t + 90.0 * blurred_bar(t, 0.4, w, s)
        f = fit_sections(prof[None], t, width0=1.3 * w, sigma=s)
        assert f.converged[0]
        assert f.width[0] == pytest.approx(w, abs=1e-3)
        assert f.centre[0] == pytest.approx(0.4, abs=1e-3)
        free = fit_sections(prof[None], t, width0=w, sigma=None)
        if w >= 4 * s:  # the blur is identifiable from the edges of a wide bar
            assert free.sigma[0] == pytest.approx(s, abs=1e-2)


@pytest.mark.parametrize("width", [2.0, 3.0, 6.0, 14.0])
def test_image_bars_with_the_images_own_blur(width):
    # the blur read from a wide bar of the same optics (it includes the image sampling)
    # lets a thin bar be measured to a tenth of a pixel, where the blur is as wide as it
    wide = bar_image(20.0, 1.0, 1.0)
    sec = section_profiles(wide, TRACE, 20.0)
    sigma, n = estimate_blur([(*sec, 20.0)])
    assert n >= 4 and 1.0 <= sigma <= 1.3
    img = bar_image(width, 1.0, 1.0, seed=1)
    got = optics_width(*section_profiles(img, TRACE, 1.2 * width), 1.2 * width, sigma)
    assert got.flag is None and got.n_used >= 2
    assert got.width_px == pytest.approx(width, abs=0.15)
    assert got.se_px >= MODEL_SE_PX


def test_standard_error_covers_the_truth_at_its_rate():
    # fit errors alone (no model error): the +/- 1.96 se interval of single sections holds
    # the true width about 95 % of the time on noisy sampled images
    t_hits, n = 0, 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        w, s = float(rng.uniform(2.0, 10.0)), float(rng.uniform(0.6, 1.6))
        img = bar_image(w, s, noise=6.0, seed=seed, contrast=60.0)
        prof, t = section_profiles(img, TRACE, w)
        eff = float(np.sqrt(s**2 + 1 / 6 + 1 / 12))  # blur + pixel area + interpolation
        f = fit_sections(prof[:6], t, w, eff)
        t_hits += int((np.abs(f.width - w) <= 1.96 * f.width_se).sum())
        n += len(f.width)
    assert 0.85 <= t_hits / n <= 0.995


def test_no_hair_is_flagged_not_measured():
    flat = bar_image(0.0, 1.0, 2.0)
    got = optics_width(*section_profiles(flat, TRACE, 5.0), 5.0, 1.0)
    assert got.width_px is None and got.se_px is None
    assert got.flag == "few_sections"
    assert sum(got.reasons.values()) == got.n_sections
    faint = bar_image(5.0, 1.0, 0.5, contrast=3.0)  # 3 grey levels: below the contrast floor
    got = optics_width(*section_profiles(faint, TRACE, 5.0), 5.0, 1.0)
    assert got.width_px is None and got.reasons.get("low_contrast", 0) > 0
    short = optics_width(
        *(section_profiles(flat, np.array([[5.0, 5.0], [5.5, 5.0]]), 5.0) or (None, None)), 5.0, 1.0
    )
    assert short.flag == "short_trace"


def test_too_few_thick_hairs_fall_back_to_the_default_blur():
    thin = bar_image(2.0, 1.0, 1.0)
    sigma, n = estimate_blur([(*section_profiles(thin, TRACE, 2.0), 2.0)], default=0.9)
    assert (sigma, n) == (0.9, 0)


def test_combine_drops_an_outlier_and_inflates_for_scatter():
    w, se, kept = combine(np.array([5.0, 5.1, 4.9, 9.0]), np.array([0.05, 0.05, 0.05, 0.05]))
    assert list(kept) == [True, True, True, False]
    assert w == pytest.approx(5.0, abs=1e-9)
    assert se > 0.05 / np.sqrt(3)  # the three scatter more than their own errors say


def test_a_neighbour_beside_the_shaft_is_masked_out_not_measured():
    # a 6 px bar with a second one 12 px to its right: the right skin band holds the
    # neighbour, so the isolated-section rule drops every section; the masked fit keeps
    # them, cut 1 px short of the neighbour, and still reads 6 px
    img = bar_image(6.0, 1.0, 1.0)
    img += bar_image(6.0, 1.0, 0.0)[:, np.r_[108:120, 0:108]] - 50.0  # shifted copy: x = 72.3
    shaft = np.zeros_like(img)
    shaft[:, 57:64] = 1.0
    shaft[:, 69:76] = 1.0
    assert section_profiles(img, TRACE, 6.0, shaft=shaft)[0].shape[0] == 0
    prof, t, masks = section_profiles(img, TRACE, 6.0, shaft=shaft, masked=True)
    assert len(prof) > 0 and not masks.all() and masks[:, t < -8].all()
    got = optics_width(prof, t, 6.0, 1.1, masks=masks)
    assert got.width_px == pytest.approx(6.0, abs=0.3)
