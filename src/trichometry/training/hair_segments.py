"""Hairs as straight segments for training: from real boxes and from generated truth.

A segment runs from end ``p`` to end ``q`` in an image's pixels (``(x, y)``, pixel
centres at integers). Where the root is known (generated scenes) ``p`` is the root; a
real box says which two corners the shaft joins but not which end is the root.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Segments:
    """``p``, ``q``: ``(N, 2)`` ends; ``root_known``: ``(N,)`` whether ``p`` is the root."""

    p: np.ndarray
    q: np.ndarray
    root_known: np.ndarray

    @classmethod
    def empty(cls) -> Segments:
        return cls(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.p)

    def scaled(self, factor: float) -> Segments:
        """In an image resampled by ``factor``."""

        def f(pts: np.ndarray) -> np.ndarray:
            return (pts + 0.5) * factor - 0.5

        return Segments(f(self.p), f(self.q), self.root_known.copy())


def _darkness(image_rgb: np.ndarray) -> np.ndarray:
    img = np.asarray(image_rgb, np.float32)
    return 255.0 - (0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2])


def box_segments(image_rgb: np.ndarray, boxes: np.ndarray, inset: float = 0.15) -> Segments:
    """One undirected segment per box: the diagonal along which the shaft (darker) runs.

    Args:
        image_rgb: ``(H, W, 3)`` uint8, the image the boxes belong to.
        boxes: ``(N, 4)`` ``x0, y0, x1, y1`` (sorted corners), same pixels as the image.
        inset: share of the diagonal left out at each end when comparing (the corners of
            a box lie beside the shaft's ends, not on them).
    """
    b = np.asarray(boxes, float).reshape(-1, 4)
    if len(b) == 0:
        return Segments.empty()
    dark = cv2.GaussianBlur(_darkness(image_rgb), (0, 0), 2.0)
    h, w = dark.shape
    t = np.linspace(inset, 1.0 - inset, 24)
    ps, qs = [], []
    for x0, y0, x1, y1 in b:
        main = ((x0, y0), (x1, y1))  # "\" diagonal
        anti = ((x0, y1), (x1, y0))  # "/" diagonal
        score = []
        for (ax, ay), (bx, by) in (main, anti):
            xs = np.clip(ax + (bx - ax) * t, 0, w - 1).round().astype(int)
            ys = np.clip(ay + (by - ay) * t, 0, h - 1).round().astype(int)
            score.append(float(dark[ys, xs].mean()))
        a, c = main if score[0] >= score[1] else anti
        ps.append(a)
        qs.append(c)
    return Segments(np.asarray(ps, float), np.asarray(qs, float), np.zeros(len(ps), bool))


def truth_segments(truth, factor: float = 1.0) -> Segments:
    """Directed segments of every generated hair's visible stretch, as a box labeller
    would draw them: from the first to the last centreline point of its first run inside
    the frame. The root is known where that run starts at the exit point (a hair cut by
    the frame at its root end has no visible root).

    Args:
        truth: an :class:`~trichometry.truth.ImageTruth`.
        factor: image resampling factor (truth um per px / canonical um per px).
    """
    h, w = truth.height, truth.width
    ps, qs, known = [], [], []
    for hair in truth.hairs:
        line = np.asarray(hair.centreline, float).reshape(-1, 2)
        inside = (
            (line[:, 0] >= -0.5) & (line[:, 0] <= w - 0.5) & (line[:, 1] >= -0.5) & (line[:, 1] <= h - 0.5)
        )
        if not inside.any():
            continue
        first = int(np.argmax(inside))
        out = np.flatnonzero(~inside[first:])
        last = first + (int(out[0]) - 1 if len(out) else len(line) - 1 - first)
        if last <= first or np.hypot(*(line[last] - line[first])) <= 0:
            continue
        ps.append(line[first])
        qs.append(line[last])
        known.append(first == 0)
    if not ps:
        return Segments.empty()
    return Segments(np.asarray(ps), np.asarray(qs), np.asarray(known, bool)).scaled(factor)
