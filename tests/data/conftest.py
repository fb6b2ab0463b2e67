"""A tiny hand-made Sample for the data-format tests (no generator needed)."""

from __future__ import annotations

import numpy as np
import pytest

from trichometry.truth import HairTruth, ImageTruth, Sample, Targets


def make_sample(
    image_id: str = "img001", seed: int = 0, w: int = 48, h: int = 32, overlay: bool = False
) -> Sample:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    hairs = [
        HairTruth(
            hair_id=1,
            follicle_id=10,
            unit_id=3,
            exit_xy=(5.25, 7.5),
            centreline=np.array([[5.25, 7.5], [20.0, 9.125], [40.5, 30.0]]),
            diameter_um=61.5,
            tip_diameter_um=60.25,
            length_um=123.4567,
            clipped=True,
            pigment=0.1,
        ),
        HairTruth(  # exit point outside the frame: drawn but not counted
            hair_id=2,
            follicle_id=11,
            unit_id=4,
            exit_xy=(-3.0, 12.0),
            centreline=np.array([[-3.0, 12.0], [10.0, 12.0]]),
            diameter_um=30.0,
            tip_diameter_um=29.0,
            length_um=36.0,
            clipped=False,
            pigment=0.8,
        ),
    ]
    truth = ImageTruth(
        image_id=image_id,
        width=w,
        height=h,
        um_per_px=2.8,
        hairs=hairs,
        empty_follicles=[(30.0, 4.5)],
        params={"seed": seed, "nested": {"a": [1, 2]}, "np": np.float64(0.5)},
    )
    ids = np.zeros((h, w), np.int32)
    ids[7:10, 5:21] = 1
    ids[12, 0:10] = 2
    ids[0, 0] = 65535  # largest id the 16-bit PNG holds
    diam = np.where(ids > 0, rng.uniform(10, 120, size=(h, w)), 0).astype(np.float32)
    exit_map = np.zeros((h, w), np.uint8)
    exit_map[8, 5] = 1
    targets = Targets(
        shaft_mask=(ids > 0).astype(np.uint8), instance_ids=ids, exit_map=exit_map, diameter_um=diam
    )
    if overlay:
        ov = np.zeros((h, w), np.uint8)
        ov[-4:, :] = 1  # a burned-in strip along the bottom
        targets.overlay_mask = ov
    return Sample(image=image, truth=truth, targets=targets)


@pytest.fixture
def sample() -> Sample:
    return make_sample()


@pytest.fixture
def sample_factory():
    return make_sample
