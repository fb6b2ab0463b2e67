"""Decoding the frame network's grid (detector v3) into hairs: one segment per centre peak.

A centre peak is a cell that is the maximum of its ``window`` x ``window`` neighbourhood
and reaches the threshold; the hair's centre is that cell plus its offset, its box the
predicted size around it, its segment the box's predicted diagonal, and its root the end
the root channel points to (:func:`~trichometry.training.frame_targets.parts_to_segment`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trichometry.inference.segments import SegmentHairs
from trichometry.training.frame_targets import STRIDE, parts_to_segment


def peaks(heat: np.ndarray, threshold: float, window: int = 3, max_hairs: int = 2000) -> np.ndarray:
    """``(N, 2)`` ``(row, col)`` of the local maxima reaching ``threshold``, strongest first."""
    heat = np.nan_to_num(np.asarray(heat, np.float32))
    top = ndimage.maximum_filter(heat, size=int(window), mode="constant", cval=-1.0)
    rr, cc = np.nonzero((heat >= top) & (heat >= threshold))
    order = np.argsort(-heat[rr, cc], kind="stable")[:max_hairs]
    return np.stack([rr[order], cc[order]], 1)


def decode_frame(
    maps: np.ndarray, threshold: float, window: int = 3, diameter_px: float = 7.5
) -> SegmentHairs:
    """Hairs from one image's activated grid (canonical px).

    Args:
        maps: ``(7, Hc, Wc)`` as :meth:`FrameNet.activate` gives them.
        threshold: least centre value.
        window: peak neighbourhood in cells (odd, >= 3).
        diameter_px: the width each hair is handed over with: a placeholder (60 um at the
            canonical 8 um/px), since the network predicts none; the engine measures every
            shaft on the image.
    """
    rc = peaks(maps[0], threshold, window)
    if len(rc) == 0:
        return SegmentHairs.empty()
    r, c = rc[:, 0], rc[:, 1]
    centre = np.stack([(c + maps[1, r, c]) * STRIDE - 0.5, (r + maps[2, r, c]) * STRIDE - 0.5], 1)
    size = np.stack([maps[3, r, c], maps[4, r, c]], 1)
    root, tip = parts_to_segment(centre, size, maps[5, r, c], maps[6, r, c])
    n = len(r)
    return SegmentHairs(root, tip, centre, maps[0, r, c].astype(float), np.full(n, float(diameter_px)))
