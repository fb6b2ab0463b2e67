from __future__ import annotations

import numpy as np
import pytest

from trichometry.errors import ConfigError
from trichometry.inference.peaks import find_exit_points


def gaussian(shape: tuple[int, int], x: float, y: float, sigma: float = 1.5, amp: float = 1.0) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return amp * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))


def test_single_gaussian_is_refined_to_sub_pixel() -> None:
    heat = gaussian((32, 40), 17.3, 9.7)
    pts = find_exit_points(heat)
    assert pts.shape == (1, 2)
    np.testing.assert_allclose(pts[0], [17.3, 9.7], atol=0.05)


def test_two_close_peaks_are_both_found_and_suppressed_by_min_distance() -> None:
    heat = np.maximum(gaussian((30, 30), 10.0, 15.0, sigma=1.0), gaussian((30, 30), 14.0, 15.0, 1.0, 0.8))
    pts = find_exit_points(heat, threshold=0.3, min_distance_px=3)
    assert len(pts) == 2
    np.testing.assert_allclose(pts[0], [10.0, 15.0], atol=0.1)  # strongest first
    np.testing.assert_allclose(pts[1], [14.0, 15.0], atol=0.1)
    one = find_exit_points(heat, threshold=0.3, min_distance_px=5)
    assert len(one) == 1
    np.testing.assert_allclose(one[0], [10.0, 15.0], atol=0.1)


def test_plateau_gives_one_point_at_its_centroid() -> None:
    heat = np.zeros((20, 20))
    heat[5:7, 8:11] = 1.0  # saturated sigmoid output: a flat 2x3 top
    pts = find_exit_points(heat)
    assert pts.shape == (1, 2)
    np.testing.assert_allclose(pts[0], [9.0, 5.5])


def test_shoulder_plateau_next_to_higher_pixel_is_not_a_peak() -> None:
    heat = np.zeros((10, 20))
    heat[4, 3:12] = 0.5  # a flat ridge ...
    heat[4, 12] = 0.9  # ... that rises at one end: only that end is a peak
    pts = find_exit_points(heat, threshold=0.3, min_distance_px=0)
    assert pts.shape == (1, 2)
    np.testing.assert_allclose(pts[0], [12.0, 4.0], atol=0.5)


def test_a_shoulder_does_not_spoil_an_equal_plateau_elsewhere() -> None:
    heat = np.zeros((10, 20))
    heat[2, 2:5] = 0.5  # an isolated flat top: a peak
    heat[7, 3:12] = 0.5  # the same value on a ridge rising to 0.9: not a peak
    heat[7, 12] = 0.9
    heat[8, 0] = 0.5  # a lone pixel of that value touching nothing: a peak
    pts = find_exit_points(heat, threshold=0.3, min_distance_px=0)
    got = sorted(map(tuple, np.round(pts).astype(int).tolist()))  # the rising end: sub-pixel
    assert got == [(0, 8), (3, 2), (12, 7)]


def test_peaks_on_border_and_corner_are_kept() -> None:
    heat = np.zeros((16, 16))
    heat[0, 0] = 0.9
    heat[8, 15] = 0.8
    heat[15, 7] = 0.7
    pts = find_exit_points(heat, threshold=0.5)
    assert sorted(map(tuple, np.round(pts).astype(int).tolist())) == [(0, 0), (7, 15), (15, 8)]
    assert np.all((pts >= -0.5) & (pts <= 15.5))


def test_threshold_empty_and_nan() -> None:
    heat = gaussian((12, 12), 5, 5, amp=0.2)
    assert find_exit_points(heat, threshold=0.3).shape == (0, 2)
    assert find_exit_points(np.zeros((0, 0))).shape == (0, 2)
    heat = gaussian((12, 12), 5, 5)
    heat[0, 0] = np.nan
    assert len(find_exit_points(heat)) == 1


@pytest.mark.parametrize(
    ("arr", "kwargs"),
    [
        (np.zeros((2, 3, 3)), {}),
        (np.zeros((4, 4)), {"threshold": 0.0}),
        (np.zeros((4, 4)), {"threshold": 1.5}),
        (np.zeros((4, 4)), {"min_distance_px": -1}),
    ],
)
def test_bad_input_raises_config_error(arr: np.ndarray, kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        find_exit_points(arr, **kwargs)
