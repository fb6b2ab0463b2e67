"""Skeleton paths: crossings joined straight through, T-ends and fans told apart."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.morphology import skeletonize

from trichometry.classical.skeleton import skeleton_paths


def _skel(lines, shape=(120, 160), width=3):
    m = np.zeros(shape, np.uint8)
    for p0, p1 in lines:
        cv2.line(m, p0, p1, 1, width)
    return skeletonize(m.astype(bool))


def _long(paths, n=30.0):
    return [p for p in paths if p.length >= n]


def test_crossing_hairs_are_joined_straight_through():
    paths = _long(skeleton_paths(_skel([((20, 60), (140, 60)), ((80, 10), (80, 110))]), 3.0))
    assert len(paths) == 2  # two hairs, not four pieces
    for p in paths:
        span = np.ptp(p.points, axis=0)
        assert span.max() > 90 and span.min() < 6  # one straight hair each
        assert p.end_kinds == ("free", "free")


def test_branch_stopping_on_another_hair_is_a_tee_end():
    paths = _long(skeleton_paths(_skel([((20, 40), (140, 40)), ((80, 41), (80, 110))]), 3.0))
    stem = [p for p in paths if np.ptp(p.points[:, 1]) > 50]
    bar = [p for p in paths if np.ptp(p.points[:, 0]) > 100]
    assert len(stem) == 1 and len(bar) == 1
    assert bar[0].end_kinds == ("free", "free")  # the bar runs through the T
    k = stem[0].end_kinds
    top = 0 if stem[0].points[0, 1] < stem[0].points[-1, 1] else 1
    assert k[top] == "tee" and k[1 - top] == "free"


def test_hairs_fanning_from_one_opening_share_a_junction_end():
    o = (30, 60)
    paths = _long(skeleton_paths(_skel([(o, (140, 20)), (o, (140, 100))]), 3.0))
    assert len(paths) == 2
    for p in paths:
        near = 0 if np.hypot(*(p.points[0] - o)) < np.hypot(*(p.points[-1] - o)) else 1
        assert p.end_kinds[near] == "junction" and p.end_kinds[1 - near] == "free"


def test_ends_at_the_frame_edge_are_border():
    (p,) = _long(skeleton_paths(_skel([((0, 60), (100, 60))]), 3.0, radius=np.ones((120, 160))))
    assert sorted(p.end_kinds) == ["border", "free"]
