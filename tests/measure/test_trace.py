from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from trichometry.measure.trace import angular_profile, trace_hairs


def _line_mask(shape, p0, ang, length, width):
    m = np.zeros(shape, np.uint8)
    u = np.array([math.cos(math.radians(ang)), -math.sin(math.radians(ang))])
    p1 = np.asarray(p0) + length * u
    cv2.line(m, tuple(int(np.round(v)) for v in p0), tuple(int(np.round(v)) for v in p1), 1, width)
    return m.astype(np.float32)


def test_straight_hair_length_and_direction():
    shaft = _line_mask((120, 200), (20, 60), 20, 150, 7)
    (tr,) = trace_hairs(shaft, np.array([[20.0, 60.0]]), np.array([7.0]))
    assert tr.direction_deg == pytest.approx(20, abs=2)
    assert tr.length_px == pytest.approx(150, abs=5)
    assert not tr.reaches_border


def test_crossing_is_passed_straight():
    shaft = np.maximum(
        _line_mask((200, 200), (10, 100), 0, 180, 8), _line_mask((200, 200), (100, 190), 70, 180, 8)
    )
    a, b = trace_hairs(shaft, np.array([[10.0, 100.0], [100.0, 190.0]]), np.array([8.0, 8.0]))
    assert abs(a.points[-1, 1] - 100) < 4 and a.points[-1, 0] > 180  # stayed on the horizontal hair
    assert b.direction_deg == pytest.approx(70, abs=3)


def test_hair_running_out_of_frame_reaches_border():
    shaft = _line_mask((100, 100), (50, 50), 0, 200, 6)
    (tr,) = trace_hairs(shaft, np.array([[50.0, 50.0]]), np.array([6.0]))
    assert tr.reaches_border


def test_exit_without_shaft_gives_empty_trace():
    (tr,) = trace_hairs(np.zeros((50, 50), np.float32), np.array([[25.0, 25.0]]), np.array([5.0]))
    assert tr.length_px == 0 and len(tr.points) == 1


def test_angular_profile_runs_stop_at_gaps():
    shaft = _line_mask((100, 200), (10, 50), 0, 40, 5) + _line_mask((100, 200), (70, 50), 0, 100, 5)
    prof = angular_profile(np.clip(shaft, 0, 1), np.array([10.0, 50.0]), 3.0, 150.0)
    assert 0.15 < prof[0] < 0.35  # the run ends at the gap, not at the far hair's end
