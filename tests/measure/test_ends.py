"""Far ends: a peak at the far end of another hair's shaft, running back along it, is not a hair."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from trichometry.errors import ConfigError
from trichometry.inference.prediction import DetectorHints, Prediction
from trichometry.measure import MeasureConfig, measure
from trichometry.measure.ends import far_ends
from trichometry.measure.trace import Trace

UM = 4.0


def straight(exit_xy: tuple[float, float], angle_deg: float, length: float) -> Trace:
    """A straight trace from ``exit_xy`` (0 deg = +x, 90 = up)."""
    a = math.radians(angle_deg)
    s = np.linspace(0.0, length, max(2, int(length) + 1))[:, None]
    pts = np.asarray(exit_xy, float) + s * np.array([math.cos(a), -math.sin(a)])
    return Trace(pts, angle_deg, length, 1.0, False)


def run(traces: list[Trace], scores: list[float], d: float = 6.0) -> list[bool]:
    exits = np.array([t.points[0] for t in traces])
    return far_ends(exits, np.array(scores), traces, np.full(len(traces), d)).tolist()


def test_both_ends_of_one_shaft_give_one_hair_the_weaker_peak_goes() -> None:
    root = straight((20, 50), 0, 80)  # runs right
    tip = straight((100, 51), 180, 80)  # from the far end, back to the left
    assert run([root, tip], [0.9, 0.6]) == [False, True]
    assert run([tip, root], [0.9, 0.6]) == [False, True]  # no shared direction: the score decides


def test_where_hairs_share_a_direction_the_peak_against_it_goes_even_if_stronger() -> None:
    others = [straight((20, y), 10, 60) for y in (120, 160, 200)]  # the scalp's hairs run right
    tip = straight((100, 51), 180, 80)
    root = straight((20, 50), 0, 80)
    assert run([tip, root, *others], [0.9, 0.6, 0.5, 0.5, 0.5]) == [True, False, False, False, False]


def test_the_shared_direction_comes_from_hairs_with_one_peak() -> None:
    # four short hairs fired at both ends, the tips more strongly; three hairs fired once
    roots = [straight((20, y), 0, 80) for y in (20, 60, 100, 140)]
    tips = [straight((100, y + 1), 180, 80) for y in (20, 60, 100, 140)]
    singles = [straight((20, y), 5, 60) for y in (200, 240, 280)]
    drop = run([*tips, *roots, *singles], [0.9] * 4 + [0.6] * 4 + [0.5] * 3)
    assert drop == [True] * 4 + [False] * 4 + [False] * 3  # the roots stay, as the singles say


def test_unit_crossing_and_back_to_back_hairs_are_all_kept() -> None:
    unit = [straight((40, 50 + dy), ang, 70) for dy, ang in [(-6, 8), (0, 0), (6, -8)]]
    crossing = [straight((60, 150), 0, 90), straight((100, 190), 90, 80)]  # meets the first at 90 deg
    back_to_back = [straight((60, 250), 0, 60), straight((56, 250), 180, 60)]  # one opening, opposite ways
    assert run(unit, [0.9, 0.8, 0.7]) == [False] * 3
    assert run(crossing, [0.9, 0.8]) == [False] * 2
    assert run(back_to_back, [0.9, 0.8]) == [False] * 2


def test_a_peak_beside_the_shaft_is_not_its_end() -> None:
    root = straight((20, 50), 0, 80)
    parallel = straight((100, 50 + 12), 180, 80)  # two diameters off the shaft: another hair
    assert run([root, parallel], [0.9, 0.6]) == [False, False]


def test_bad_arguments_raise_config_error() -> None:
    t = straight((0, 0), 0, 10)
    with pytest.raises(ConfigError, match="one score"):
        far_ends(np.zeros((1, 2)), np.zeros(2), [t], np.ones(1))
    with pytest.raises(ConfigError, match="min_angle_deg"):
        far_ends(np.zeros((1, 2)), np.zeros(1), [t], np.ones(1), min_angle_deg=30)
    assert far_ends(np.zeros((0, 2)), np.zeros(0), [], np.zeros(0)).tolist() == []


def test_engine_counts_a_short_hair_with_a_peak_at_each_end_once(drawn) -> None:
    hairs = [drawn.Hair((40, 60), 0, 90, 8.0), drawn.Hair((40, 140), 5, 90, 8.0)]
    img, pred = drawn((200, 180), hairs)
    yy, xx = np.mgrid[:200, :180]
    tip = np.exp(-((xx - 130) ** 2 + (yy - 60) ** 2) / (2 * 1.5**2)).astype(np.float32) * 0.8
    pred = Prediction(pred.shaft_prob, np.maximum(pred.exit_prob, tip), pred.diameter_px, pred.source)
    m = measure(img, pred, um_per_px=UM)
    assert m.hair_count == 2 and m.summary["far_ends_dropped"] == 1
    assert sorted(round(h.exit_xy[0]) for h in m.hairs) == [40, 40]  # the roots stay
    both = measure(img, pred, um_per_px=UM, config=MeasureConfig(drop_far_ends=False))
    assert both.hair_count == 3 and both.summary["far_ends_dropped"] == 0
    # a detector that already picks one end per shaft (classical) says so; nothing is dropped
    own = Prediction(pred.shaft_prob, pred.exit_prob, pred.diameter_px,
                     hints=DetectorHints(one_exit_per_shaft=True))  # fmt: skip
    # the same words in the provenance steer nothing
    assert (
        measure(img, dataclasses.replace(pred, source={"exits": "one_per_shaft"}), um_per_px=UM).hair_count
        == 2
    )
    assert measure(img, own, um_per_px=UM).hair_count == 3
