"""Segments from real boxes and from generated truth, and their joint augmentation.

* **Real boxes** (one box per visible shaft, as in FDU): a box and the diagonal its shaft
  follows are a segment. :func:`box_segments` picks the diagonal along which the image is
  darker (the shaft), so the segment's centre, length and axis are supervised; which end
  is the root is not known (``sign_known`` False).
* **Generated scenes**: each hair's root is its exit point and its tip the end of the
  visible shaft, capped at ``cap_um`` along the hair for long hairs (the part near the
  root is what identifies the hair). The centre is half-way along that stretch.

:func:`augment` crops, flips, rotates by 90 degrees and rescales an item, moving its
segments with the image (photometric changes come from albumentations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from trichometry.inference.resample import resample_image
from trichometry.training.seg_targets import Segments


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

    Returns:
        :class:`Segments` with ``sign_known`` False and unknown diameters.
    """
    b = np.asarray(boxes, float).reshape(-1, 4)
    if len(b) == 0:
        return Segments.empty()
    dark = cv2.GaussianBlur(_darkness(image_rgb), (0, 0), 2.0)
    h, w = dark.shape
    t = np.linspace(inset, 1.0 - inset, 24)
    roots, tips = [], []
    for x0, y0, x1, y1 in b:
        main = ((x0, y0), (x1, y1))  # "\" diagonal
        anti = ((x0, y1), (x1, y0))  # "/" diagonal
        score = []
        for (ax, ay), (bx, by) in (main, anti):
            xs = np.clip(ax + (bx - ax) * t, 0, w - 1).round().astype(int)
            ys = np.clip(ay + (by - ay) * t, 0, h - 1).round().astype(int)
            score.append(float(dark[ys, xs].mean()))
        a, c = main if score[0] >= score[1] else anti
        roots.append(a)
        tips.append(c)
    return Segments.straight(np.asarray(roots), np.asarray(tips), sign_known=False)


def truth_segments(truth, factor: float, cap_um: float) -> Segments:
    """Directed segments of every generated hair, resampled by ``factor``.

    Args:
        truth: an :class:`~trichometry.truth.ImageTruth`.
        factor: image resampling factor (truth um per px / canonical um per px).
        cap_um: longest stretch from the root that makes the segment.

    Returns:
        :class:`Segments` in the resampled image's pixels, diameters in those pixels.
    """
    roots, tips, centres, diam = [], [], [], []
    cap_px = cap_um / truth.um_per_px
    for hair in truth.hairs:
        line = np.asarray(hair.centreline, float).reshape(-1, 2)
        if len(line) < 2:
            continue
        step = np.hypot(*np.diff(line, axis=0).T)
        s = np.concatenate([[0.0], np.cumsum(step)])
        end = min(s[-1], cap_px)
        if end <= 0:
            continue
        at = lambda q, s=s, line=line: np.array([np.interp(q, s, line[:, 0]), np.interp(q, s, line[:, 1])])  # noqa: E731
        roots.append(line[0])
        tips.append(at(end))
        centres.append(at(end / 2))
        diam.append(hair.diameter_um / truth.um_per_px)
    if not roots:
        return Segments.empty()
    arrays = (np.asarray(roots), np.asarray(tips), np.asarray(centres), np.asarray(diam))
    return Segments(*arrays, np.ones(len(roots), bool)).scaled(factor)


@dataclass(frozen=True)
class Geometry:
    """Random geometric augmentation of one item.

    Attributes:
        crop_px: output side (smaller images are padded; the pad is marked invalid).
        scale_jitter: the item is rescaled by a factor drawn log-uniformly in
            ``[1 / (1 + j), 1 + j]`` (robustness to calibration error); 0 = off.
        flips: random flips and 90-degree rotations.
    """

    crop_px: int = 256
    scale_jitter: float = 0.0
    flips: bool = True


def augment(
    image: np.ndarray, seg: Segments, geo: Geometry, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, Segments]:
    """A random crop (with rescaling, flips and rotations) of one item.

    Returns:
        ``(image (C, C, 3) uint8, valid (C, C) bool, segments)``: ``valid`` is False on pad.
    """
    if geo.scale_jitter > 0:
        f = math.exp(rng.uniform(-math.log1p(geo.scale_jitter), math.log1p(geo.scale_jitter)))
        image = resample_image(image, f)
        seg = seg.scaled(f)
    h, w = image.shape[:2]
    c = geo.crop_px
    sx = int(rng.integers(0, w - c + 1)) if w > c else 0
    sy = int(rng.integers(0, h - c + 1)) if h > c else 0
    out = np.zeros((c, c, 3), np.uint8)
    valid = np.zeros((c, c), bool)
    part = image[sy : sy + c, sx : sx + c]
    out[: part.shape[0], : part.shape[1]] = part
    valid[: part.shape[0], : part.shape[1]] = True
    seg = seg.mapped(lambda p: p - [sx, sy])
    if geo.flips:
        if rng.random() < 0.5:  # left-right
            out, valid = out[:, ::-1], valid[:, ::-1]
            seg = seg.mapped(lambda p: np.stack([c - 1 - p[:, 0], p[:, 1]], axis=1))
        if rng.random() < 0.5:  # top-bottom
            out, valid = out[::-1], valid[::-1]
            seg = seg.mapped(lambda p: np.stack([p[:, 0], c - 1 - p[:, 1]], axis=1))
        if rng.random() < 0.5:  # transpose (with the flips: all 8 symmetries of the square)
            out, valid = out.transpose(1, 0, 2), valid.T
            seg = seg.mapped(lambda p: p[:, ::-1].copy())
    return np.ascontiguousarray(out), np.ascontiguousarray(valid), seg
