"""The engine counts a segment detector's hairs: one root per counted segment."""

from __future__ import annotations

import math

import numpy as np

from trichometry.inference.candidates import draw_maps
from trichometry.inference.prediction import DetectorHints, Prediction
from trichometry.inference.segments import SegmentHairs
from trichometry.measure import measure
from trichometry.measure.detect import straight_trace


def _segments_prediction(drawn, scores):
    hairs = [
        drawn.Hair((40.0, 150.0), 80.0, 90.0, 7.0),
        drawn.Hair((120.0, 150.0), 100.0, 90.0, 5.0),
        drawn.Hair((190.0, 150.0), 90.0, 90.0, 6.0),
    ]
    img, _ = drawn((180, 240), hairs)
    roots = np.array([h.exit_xy for h in hairs])
    tips = np.array(
        [
            (h.exit_xy[0] + h.length_px * math.cos(math.radians(h.angle_deg)),
             h.exit_xy[1] - h.length_px * math.sin(math.radians(h.angle_deg)))
            for h in hairs
        ]
    )  # fmt: skip
    seg = SegmentHairs(roots, tips, (roots + tips) / 2, np.asarray(scores, float), np.array([7.0, 5.0, 6.0]))
    shaft, exit_, diam = draw_maps(seg, *img.shape[:2])
    pred = Prediction(shaft, exit_, diam, source={"method": "model"}, hairs=seg,
                      hints=DetectorHints(coarse_diameter_map=True))  # fmt: skip
    return img, pred, hairs


def test_counted_hairs_are_the_segments_over_threshold(drawn) -> None:
    img, pred, hairs = _segments_prediction(drawn, [0.9, 0.6, 0.2])
    m = measure(img, pred, um_per_px=5.0)
    assert m.hair_count == 2
    np.testing.assert_allclose(m.exit_points(), [h.exit_xy for h in hairs[:2]])
    for hm, h in zip(m.hairs, hairs):  # widths from the image profile along the straight trace
        assert abs(hm.thickness_px - h.width_px) < 1.0
        assert abs(hm.direction_deg - h.angle_deg) < 1.0
    assert len(m.candidates_xy) == 1  # 0.2 is in [0.5 * 0.3, 0.3): kept, not counted
    np.testing.assert_allclose(m.candidates_xy[0], hairs[2].exit_xy)


def test_roots_outside_the_area_are_not_counted(drawn) -> None:
    img, pred, _ = _segments_prediction(drawn, [0.9, 0.9, 0.9])
    valid = np.ones(img.shape[:2], bool)
    valid[:, :80] = False  # an overlay over the first hair's root
    assert measure(img, pred, um_per_px=5.0, valid_mask=valid).hair_count == 2


def test_straight_trace_runs_root_to_tip() -> None:
    tr = straight_trace(np.array([10.0, 10.0]), np.array([10.0, 0.5]), (50, 50))
    assert tr.points[0].tolist() == [10.0, 10.0] and tr.points[-1].tolist() == [10.0, 0.5]
    assert abs(tr.direction_deg - 90.0) < 1e-9 and abs(tr.length_px - 9.5) < 1e-9
    assert tr.reaches_border
