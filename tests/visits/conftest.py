"""Point-level synthetic subjects with known per-follicle fates (no images needed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from trichometry.visits import HairPoints
from trichometry.visits import similarity as sim


@dataclass
class PairedField:
    base: HairPoints
    follow: HairPoints
    follow_to_base: np.ndarray  # (2, 3) true transform
    lost_ids: set[int]
    new_ids: set[int]


def make_pair(
    seed: int = 0,
    n_follicles: int = 400,
    size: tuple[int, int] = (640, 512),
    um_per_px: float = 5.0,
    rotation_deg: float = 12.0,
    shift_px: tuple[float, float] = (60.0, -40.0),
    p_lost: float = 0.1,
    p_new: float = 0.1,
    jitter_px: float = 1.0,
    thicken_um: float = 0.0,
) -> PairedField:
    """Follicles in a world larger than either photo; some lose / gain a hair at follow-up."""
    rng = np.random.default_rng(seed)
    w, h = size
    world = rng.uniform([-w * 0.4, -h * 0.4], [w * 1.4, h * 1.4], (n_follicles, 2))
    active0 = rng.random(n_follicles) < 0.8
    active1 = np.where(active0, rng.random(n_follicles) >= p_lost, rng.random(n_follicles) < p_new / 0.2)
    dia0 = rng.uniform(20, 90, n_follicles)
    dia1 = dia0 + thicken_um + rng.normal(0, 1.0, n_follicles)
    # follow -> base: rotate about the frame centre, then shift.
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    rot = sim.compose(1.0, rotation_deg, (0.0, 0.0))
    t = c - rot[:, :2] @ c + np.asarray(shift_px)
    true = sim.compose(1.0, rotation_deg, (float(t[0]), float(t[1])))
    follow_xy_all = sim.apply(sim.invert(true), world) + rng.normal(0, jitter_px, world.shape)
    frame = sim.frame_polygon(w, h)
    in0 = active0 & sim.inside_polygon(frame, world)
    in1 = active1 & sim.inside_polygon(frame, follow_xy_all)
    ids = np.arange(n_follicles)
    base = HairPoints(world[in0], dia0[in0], um_per_px, w, h, ids=ids[in0])
    follow = HairPoints(follow_xy_all[in1], dia1[in1], um_per_px, w, h, ids=ids[in1])
    # True fates within the overlap (follicle position inside both frames).
    both = sim.inside_polygon(frame, world) & sim.inside_polygon(frame, sim.apply(sim.invert(true), world))
    lost = set(ids[both & active0 & ~active1].tolist())
    new = set(ids[both & ~active0 & active1].tolist())
    return PairedField(base, follow, true, lost, new)


@pytest.fixture
def paired_field() -> PairedField:
    return make_pair()


@pytest.fixture
def make_paired():
    """The :func:`make_pair` factory, for tests that need other parameters."""
    return make_pair
