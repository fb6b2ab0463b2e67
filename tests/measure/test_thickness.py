from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from scipy.special import erf

from trichometry.measure.thickness import STEP, darkness, profile_width, section_width


def _bar_profile(width: float, blur: float, t: np.ndarray, contrast: float = 100.0, bg: float = 30.0):
    """Darkness across an opaque bar of ``width`` px blurred by a Gaussian of ``blur`` px."""
    a, b = (t + width / 2) / (np.sqrt(2) * blur), (t - width / 2) / (np.sqrt(2) * blur)
    return bg + contrast * 0.5 * (erf(a) - erf(b))


@pytest.mark.parametrize("width", [3.0, 6.5, 12.0, 25.0])
def test_section_width_subpixel_on_blurred_bar(width):
    t = np.arange(-3 * width - 10, 3 * width + 10, STEP)
    hd, edge, contrast = section_width(_bar_profile(width, 0.8, t), t, width)
    assert edge == pytest.approx(width, abs=0.15)
    assert hd == pytest.approx(width, abs=0.15 if width > 4 else 0.4)
    assert contrast == pytest.approx(100.0, rel=0.05 if width > 4 else 0.1)  # blur lowers thin peaks


def test_section_rejects_neighbour_in_skin_band():
    t = np.arange(-40, 40, STEP)
    prof = _bar_profile(8.0, 0.8, t) + _bar_profile(8.0, 0.8, t - 14.0, bg=0.0)
    assert section_width(prof, t, 8.0) is None


def test_profile_width_on_image_with_sections():
    h, w = 80, 200
    # a horizontal shaft 9.3 px wide (exact coverage via supersampling), light blur
    ss = 8
    big = np.zeros((h * ss, w * ss))
    big[int((40 - 4.65 + 0.5) * ss) : int((40 + 4.65 + 0.5) * ss), 20 * ss :] = 1.0
    cov = big.reshape(h, ss, w, ss).mean(axis=(1, 3))
    img = np.full((h, w, 3), 200.0) * (1 - 0.8 * cov[..., None])
    img = ndimage.gaussian_filter(img, (0.8, 0.8, 0))
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    pts = np.stack([np.arange(20.0, 190.0), np.full(170, 40.0)], axis=1)
    pw = profile_width(darkness(img), pts, 9.0)
    assert pw.n_valid == pw.n_sections == 7
    assert pw.width_px == pytest.approx(9.3, abs=0.2)
    assert pw.spread_px < 0.2


def test_profile_width_fails_cleanly_on_flat_image():
    img = np.full((50, 50, 3), 128, np.uint8)
    pw = profile_width(darkness(img), np.array([[10.0, 25.0], [40.0, 25.0]]), 5.0)
    assert pw.width_px is None and pw.n_valid == 0
