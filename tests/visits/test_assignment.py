from __future__ import annotations

import numpy as np

from trichometry.visits.assignment import assign


def test_empty_inputs_give_no_pairs():
    pairs, dist = assign(np.zeros((0, 2)), np.ones((3, 2)), 5.0)
    assert pairs.shape == (0, 2) and dist.shape == (0,)
    assert assign(np.ones((3, 2)), np.zeros((0, 2)), 5.0)[0].shape == (0, 2)


def test_zero_distance_pair_is_kept():
    pairs, dist = assign(np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]]), 2.0)
    assert pairs.tolist() == [[0, 0]] and dist.tolist() == [0.0]


def test_distance_limit_is_inclusive_and_enforced():
    a = np.array([[0.0, 0.0], [100.0, 0.0]])
    b = np.array([[3.0, 4.0], [100.0, 5.1]])
    pairs, dist = assign(a, b, 5.0)
    assert pairs.tolist() == [[0, 0]] and np.allclose(dist, [5.0])


def test_optimal_beats_greedy():
    # Greedy would pair a0-b0 (distance 1) and leave a1 alone (b1 too far from a1? no):
    # a0=(0,0), a1=(3,0); b0=(1,0), b1=(-2.5,0). Greedy: a0-b0 (1), a1 unmatched (b1 is 5.5 away).
    # Optimal with limit 3: a0-b1 (2.5) and a1-b0 (2) -> two pairs.
    a = np.array([[0.0, 0.0], [3.0, 0.0]])
    b = np.array([[1.0, 0.0], [-2.5, 0.0]])
    pairs, dist = assign(a, b, 3.0)
    assert pairs.tolist() == [[0, 1], [1, 0]] and np.allclose(dist, [2.5, 2.0])


def test_large_jittered_sets_pair_mostly_with_themselves():
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1000, (500, 2))
    b = a + rng.normal(0, 1.0, a.shape)
    pairs, _ = assign(a, b, 6.0)
    assert len(pairs) == 500
    assert (pairs[:, 0] == pairs[:, 1]).mean() > 0.99
