from __future__ import annotations

import numpy as np

from trichometry.visits import similarity as sim


def test_compose_decompose_invert_roundtrip():
    m = sim.compose(1.05, -33.0, (12.0, -7.5))
    scale, rot, shift = sim.decompose(m)
    assert np.isclose(scale, 1.05) and np.isclose(rot, -33.0) and np.allclose(shift, (12.0, -7.5))
    pts = np.array([[0.0, 0.0], [10.0, 3.0], [-4.0, 8.0]])
    assert np.allclose(sim.apply(sim.invert(m), sim.apply(m, pts)), pts)


def test_umeyama_recovers_known_similarity():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (30, 2))
    m = sim.compose(0.97, 40.0, (5.0, 9.0))
    assert np.allclose(sim.umeyama(src, sim.apply(m, src)), m, atol=1e-9)


def test_from_pairs_maps_both_points():
    p1, p2 = np.array([[0.0, 0.0]]), np.array([[10.0, 0.0]])
    q1, q2 = np.array([[5.0, 5.0]]), np.array([[5.0, 15.0]])  # rotated 90 deg, shifted
    m = sim.from_pairs(p1, p2, q1, q2)[0]
    assert np.allclose(sim.apply(m, np.vstack([p1, p2])), np.vstack([q1, q2]))
    assert np.isclose(sim.decompose(m)[1], 90.0)


def test_inside_polygon_with_margin_and_orientation():
    frame = sim.frame_polygon(10, 10)  # edges at -0.5 and 9.5
    pts = np.array([[0.0, 0.0], [-0.6, 5.0], [9.4, 9.4], [5.0, 5.0]])
    assert sim.inside_polygon(frame, pts).tolist() == [True, False, True, True]
    assert sim.inside_polygon(frame, pts, margin=1.0).tolist() == [False, False, False, True]
    assert sim.inside_polygon(frame[::-1], pts).tolist() == [True, False, True, True]
