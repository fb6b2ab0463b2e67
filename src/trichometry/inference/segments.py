"""Hair candidates as segments (:class:`SegmentHairs`), and choosing their root ends.

Every candidate family's ``decode`` hands over one straight segment per hair: its
centre, root end (the exit point), tip end, score and width.

Where the network is unsure which end is the root, the image's shared hair direction
settles it (:func:`orient_with_stream`): the hairs of one small patch of scalp grow in
one stream (within a few tens of degrees), so a segment whose root lies on the side
opposite to the stream is turned round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SegmentHairs:
    """Hairs found by a segment detector, in one image's pixels.

    Attributes:
        roots: ``(N, 2)`` ``(x, y)`` exit points (root ends), strongest first.
        tips: ``(N, 2)`` the other end of each visible segment.
        centres: ``(N, 2)`` the shaft centres that were detected.
        scores: ``(N,)`` centre heatmap value (calibrated: the engine counts ``>=`` its
            threshold, and keeps weaker ones as candidates).
        diameters_px: ``(N,)`` predicted diameter near the root, image px.
        assessable: ``(N,)`` bool, ``False`` where a reviewer marked the hair's width not
            assessable (counted, not measured); ``None``: every hair is.
    """

    roots: np.ndarray
    tips: np.ndarray
    centres: np.ndarray
    scores: np.ndarray
    diameters_px: np.ndarray
    assessable: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.scores)

    def select(self, keep: np.ndarray) -> SegmentHairs:
        return SegmentHairs(
            self.roots[keep], self.tips[keep], self.centres[keep], self.scores[keep], self.diameters_px[keep],
            None if self.assessable is None else self.assessable[keep],
        )  # fmt: skip

    def scaled(self, factor: float) -> SegmentHairs:
        """In an image resampled by ``factor`` (pixel centres at integers)."""

        def f(p: np.ndarray) -> np.ndarray:
            return (p + 0.5) * factor - 0.5

        return SegmentHairs(
            f(self.roots), f(self.tips), f(self.centres), self.scores, self.diameters_px * factor,
            self.assessable,
        )  # fmt: skip

    @classmethod
    def empty(cls) -> SegmentHairs:
        z = np.zeros((0, 2))
        return cls(z, z.copy(), z.copy(), np.zeros(0), np.zeros(0))


def orient_with_stream(hairs: SegmentHairs, min_agreement: float = 0.6, min_hairs: int = 3) -> SegmentHairs:
    """Turn round the segments whose root points against the image's hair stream.

    The stream is the length-weighted mean root -> tip direction. It is trusted only when
    the hairs agree with it (resultant length over total length at least
    ``min_agreement``) and there are at least ``min_hairs``; then each segment whose
    direction points against it (negative dot product) swaps its ends.
    """
    if len(hairs) < min_hairs:
        return hairs
    d = hairs.tips - hairs.roots
    length = np.hypot(d[:, 0], d[:, 1])
    total = length.sum()
    if total <= 0:
        return hairs
    stream = d.sum(axis=0)
    if np.hypot(*stream) / total < min_agreement:
        return hairs
    flip = d @ stream < 0
    roots = np.where(flip[:, None], hairs.tips, hairs.roots)
    tips = np.where(flip[:, None], hairs.roots, hairs.tips)
    return SegmentHairs(roots, tips, hairs.centres, hairs.scores, hairs.diameters_px)
