"""Skin layers of the generator."""

from __future__ import annotations

import numpy as np


def test_skin_line_points_are_judged_as_opencv_will_see_them() -> None:
    from trichometry.synth.skin import in_subdiv_rect

    rect = (-10, -10, 1301, 981)  # x in (-10, 1291), y in (-10, 971)
    px = np.array([[1290.9999999999, 5.0], [1290.5, 5.0], [-10.0, 3.0], [-9.99, 970.99999999], [0.0, 0.0]])
    # the first rounds to 1291.0 in float32, where cv2.Subdiv2D.insert raises "out of range"
    assert in_subdiv_rect(px, rect).tolist() == [False, True, False, False, True]
