from __future__ import annotations

import numpy as np
import pytest

from trichometry.errors import ConfigError
from trichometry.training.config import AugmentationConfig, DataConfig
from trichometry.training.targets import boxes_to_item, point_sigmas, render_heatmap, sample_to_item
from trichometry.training.transforms import MASK_KEYS, apply_transform, build_transform


def _item(point: tuple[int, int]) -> dict[str, np.ndarray]:
    shape = (64, 64)
    item = {k: np.zeros(shape, np.float32) for k in MASK_KEYS}
    item["mil"] = np.zeros(shape, np.int32)
    item["image"] = np.zeros((*shape, 3), np.uint8)
    item["points"] = np.array([point], dtype=float)
    item["shaft"][point[1], point[0]] = 1
    item["mil"][point[1], point[0]] = 3
    return item


def test_transform_keeps_points_on_their_pixels() -> None:
    tf = build_transform(AugmentationConfig(name="strong", hue_saturation=1, blur_p=0.5, noise_p=0.5), 48)
    for _ in range(60):
        out = apply_transform(tf, _item((20, 30)))
        ys, xs = np.nonzero(out["shaft"])
        assert out["mil"].dtype == np.int32
        if len(ys):
            assert out["points"].tolist() == [[float(xs[0]), float(ys[0])]]
            assert out["mil"][ys[0], xs[0]] == 3
        else:
            assert len(out["points"]) == 0


def test_heatmap_peaks_are_exactly_one() -> None:
    heat = render_heatmap(np.array([[3.2, 4.0], [10.0, 10.0], [-30.0, 5.0]]), 16, 16, 2.0)
    assert heat[4, 3] == 1.0 and heat[10, 10] == 1.0 and (heat == 1.0).sum() == 2


def test_heatmap_takes_one_sigma_per_point() -> None:
    heat = render_heatmap(np.array([[10.0, 10.0], [40.0, 10.0]]), 20, 60, np.array([1.0, 4.0]))
    assert heat[10, 10] == 1.0 and heat[10, 40] == 1.0
    # the wider Gaussian is higher two pixels from its centre: exp(-4/32) vs exp(-4/2)
    assert heat[10, 42] == pytest.approx(np.exp(-4 / 32), rel=1e-5)
    assert heat[10, 12] == pytest.approx(np.exp(-4 / 2), rel=1e-5)


def test_sigmas_grow_with_the_hair_diameter_within_limits() -> None:
    diameter = np.zeros((30, 60), np.float32)
    diameter[5:15, 8:12] = 4.0  # a thin hair near the first point
    diameter[5:15, 30:50] = 20.0  # a thick one at the second
    pts = np.array([[10.0, 10.0], [40.0, 10.0], [25.0, 25.0]])
    s = point_sigmas(pts, diameter, sigma_px=1.5, per_diameter=0.3, max_px=5.0)
    assert s.tolist() == pytest.approx([1.5, 5.0, 1.5])  # 0.3 * 4 < 1.5; 0.3 * 20 > 5; no hair
    diameter[5:15, 30:50] = 10.0
    assert point_sigmas(pts, diameter, 1.5, 0.3, 5.0)[1] == pytest.approx(3.0)
    assert point_sigmas(pts, diameter, 2.0).tolist() == [2.0, 2.0, 2.0]  # off: the fixed sigma


def test_boxes_give_ignore_inside_and_corner_candidates() -> None:
    img = np.zeros((100, 120, 3), np.uint8)
    item = boxes_to_item(img, np.array([[40, 30, 70, 60]]), 3.0, 3.0, border_ignore_px=10, margin_px=2)
    assert item["shaft_weight"][45, 55] == 0 and item["exit_weight"][45, 55] == 0  # inside: unknown
    assert item["shaft_weight"][80, 100] == 1 and item["shaft"].sum() == 0  # outside: background
    assert item["shaft_weight"][5, 50] == 0  # border band: unlabelled hairs possible
    for x, y in ((40, 30), (70, 30), (40, 60), (70, 60)):  # all four diagonal ends are candidates
        assert item["mil"][y, x] == 1
    assert item["mil"][45, 55] == 0 and item["diameter"].sum() == 0


def test_synthetic_sample_is_resampled_to_canonical_scale() -> None:
    synth = pytest.importorskip("trichometry.synth")
    s = synth.generate_sample(5, width=96, height=80, um_per_px=6.0, density_per_cm2=(300, 300))
    item = sample_to_item(s, canonical_um_per_px=3.0)
    assert item["image"].shape == (160, 192, 3) and item["shaft"].shape == (160, 192)
    assert len(item["points"]) == s.truth.count
    d = item["diameter"][item["shaft"] > 0]
    if d.size:  # diameters are in canonical px: um / 3
        assert d.max() <= s.targets.diameter_um.max() / 3.0 + 1e-4


def test_data_config_defaults_are_consistent() -> None:
    cfg = DataConfig()
    assert cfg.crop_px <= cfg.scene_px and cfg.canonical_um_per_px == 3.0


def test_points_on_the_pixel_edge_are_kept() -> None:
    item = _item((0, 5))
    item["points"] = np.array([[-0.4, 5.0], [63.4, 10.0]])
    out = apply_transform(build_transform(AugmentationConfig(flips=False), 64, train=False), item)
    assert len(out["points"]) == 2 and out["points"].min() >= 0


def test_box_roots_become_exit_points_and_tips_certain_negatives() -> None:
    img = np.zeros((100, 120, 3), np.uint8)
    boxes = np.array([[40, 30, 70, 60], [80, 20, 100, 40]])
    roots = [[43.0, 33.0, 67.0, 57.0], None]
    item = boxes_to_item(img, boxes, 3.0, 3.0, border_ignore_px=10, margin_px=2, roots=roots)
    np.testing.assert_allclose(item["points"], [[43.0, 33.0]])
    assert item["exit_weight"][33, 43] == 1 and item["exit_weight"][57, 67] == 1  # root and tip known
    assert item["exit_weight"][45, 55] == 1  # the shaft between them is a certain negative
    assert item["exit_weight"][35, 65] == 0  # the rest of the box stays unknown
    assert item["shaft_weight"][33, 43] == 0  # the shaft is not labelled by a root
    assert not (item["mil"] == 1).any() and (item["mil"] == 2).any()  # unlabelled box keeps its MIL
    # roots at another scale are scaled with the image
    half = boxes_to_item(img, boxes, 3.0, 6.0, border_ignore_px=5, margin_px=1, roots=roots)
    np.testing.assert_allclose(half["points"], [[21.25, 16.25]])
    with pytest.raises(ConfigError, match="root labels"):
        boxes_to_item(img, boxes, 3.0, 3.0, roots=[None])
