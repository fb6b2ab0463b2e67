"""Whole-frame training data: every augmentation keeps each hair's segment on its shaft."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from trichometry.training.frame_data import Frame, FrameDataset, augment_frame, prepare_box_frame, synth_frame
from trichometry.training.hair_segments import box_segments, truth_segments


def _drawn(h: int = 120, w: int = 160) -> Frame:
    img = np.full((h, w, 3), 200, np.uint8)
    p = np.array([[20.0, 20.0], [120.0, 30.0]])
    q = np.array([[60.0, 90.0], [90.0, 100.0]])
    for a, b in zip(p, q):
        cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b), (30, 30, 30), 3)
    return Frame(img, p, q, np.array([True, False]))


def _mean_along(img: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    t = np.linspace(0.1, 0.9, 20)
    xs = np.clip(np.round(a[0] + (b[0] - a[0]) * t), 0, img.shape[1] - 1).astype(int)
    ys = np.clip(np.round(a[1] + (b[1] - a[1]) * t), 0, img.shape[0] - 1).astype(int)
    return float(img[ys, xs].mean())


@pytest.mark.parametrize("seed", range(6))
def test_flips_scale_and_crop_keep_segments_on_their_shafts(seed: int) -> None:
    fr = _drawn()
    img, p, q = augment_frame(fr, np.random.default_rng(seed), (112, 144))
    assert img.shape == (112, 144, 3)
    for a, b in zip(p, q):
        inside = (0 <= (a + b)[0] / 2 < 144) and (0 <= (a + b)[1] / 2 < 112)
        if inside:  # a dark shaft under the segment, bright skin beside it
            off = np.array([0.0, 12.0])
            assert _mean_along(img, a, b) < 0.6 * _mean_along(img, a + off, b + off)


def test_box_segments_pick_the_darker_diagonal() -> None:
    fr = _drawn()
    boxes = np.array([[20, 20, 60, 90], [90, 30, 120, 100]], float)  # "\" and "/" shafts
    seg = box_segments(fr.image, boxes)
    got = {tuple(sorted(map(tuple, np.stack([a, b])))) for a, b in zip(seg.p, seg.q)}
    want = {((20.0, 20.0), (60.0, 90.0)), ((90.0, 100.0), (120.0, 30.0))}
    assert got == want and not seg.root_known.any()
    half = prepare_box_frame(fr.image, boxes, 0.5)
    assert half.image.shape[:2] == (60, 80) and np.allclose(half.p, (seg.p + 0.5) * 0.5 - 0.5)


def test_generated_frames_know_their_roots_and_stay_in_the_frame() -> None:
    fr = synth_frame(3, (160, 192), 8.0, (4.0, 6.0), {"density_per_cm2": 400.0})
    assert fr.image.shape == (160, 192, 3) and len(fr.p) > 0
    ends = np.concatenate([fr.p, fr.q])
    assert (ends >= -1).all() and (ends[:, 0] <= 192).all() and (ends[:, 1] <= 160).all()
    assert fr.root_known.any()


def test_truth_segments_cut_at_the_frame() -> None:
    from types import SimpleNamespace

    hair = SimpleNamespace(centreline=np.array([[10.0, 10.0], [30.0, 10.0], [60.0, 10.0], [90.0, 10.0]]))
    outside_first = SimpleNamespace(centreline=np.array([[-20.0, 30.0], [10.0, 30.0], [20.0, 30.0]]))
    truth = SimpleNamespace(width=50, height=40, hairs=[hair, outside_first])
    seg = truth_segments(truth)
    np.testing.assert_allclose(seg.p, [[10, 10], [10, 30]])
    np.testing.assert_allclose(seg.q, [[30, 10], [20, 30]])
    assert seg.root_known.tolist() == [True, False]  # the second hair's root is off the frame


def test_a_dataset_item_is_the_same_for_the_same_epoch_and_index() -> None:
    ds = FrameDataset([_drawn(), _drawn()], (96, 128), seed=1)
    a, b = ds[1], ds[1]
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    ds.set_epoch(1)
    assert not np.array_equal(ds[1]["image"].numpy(), a["image"].numpy())
    assert (
        a["image"].shape == (3, 96, 128) and a["heat"].shape == (1, 24, 32) and a["reg"].shape == (6, 24, 32)
    )
