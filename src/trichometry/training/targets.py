"""Training targets at the canonical scale: dense maps from synthetic truth or from boxes.

Every item is a dict of ``(H, W)`` numpy arrays plus exit points:

* ``image``: uint8 RGB ``(H, W, 3)``.
* ``shaft``: float32 0/1 shaft mask; ``shaft_weight``: 1 where the mask is certain, 0 = ignore.
* ``exit_weight``: 1 where the exit heatmap is certain (known positives and negatives).
* ``diameter``: float32 shaft diameter in canonical px, 0 where unknown.
* ``mil``: int32, ``k`` on the pixels where box ``k``'s exit point must lie (0 = none).
* ``points``: ``(N, 2)`` float exit points ``(x, y)`` (the heatmap is drawn after augmentation).
"""

from __future__ import annotations

import cv2
import numpy as np

from trichometry.errors import ConfigError
from trichometry.inference.resample import resample_image
from trichometry.truth import Sample


def scale_points(points: np.ndarray, factor: float) -> np.ndarray:
    """Map ``(x, y)`` pixel centres through a resize by ``factor`` (pixel centres at integers)."""
    return (np.asarray(points, dtype=np.float64) + 0.5) * factor - 0.5


def sample_to_item(sample: Sample, canonical_um_per_px: float) -> dict[str, np.ndarray]:
    """A generated :class:`Sample` resampled to the canonical scale, as a training item."""
    factor = sample.truth.um_per_px / canonical_um_per_px
    image = resample_image(sample.image, factor)
    h, w = image.shape[:2]
    size = (w, h)
    t = sample.targets
    shaft = t.shaft_mask.astype(np.float32)
    if abs(factor - 1.0) >= 1e-6:
        shaft = cv2.resize(shaft, size, interpolation=cv2.INTER_LINEAR)
    shaft = (shaft >= 0.5).astype(np.float32)
    diam_um = t.diameter_um.astype(np.float32)
    if abs(factor - 1.0) >= 1e-6:
        diam_um = cv2.resize(diam_um, size, interpolation=cv2.INTER_NEAREST)
    diameter = np.where(shaft > 0, diam_um / canonical_um_per_px, 0.0).astype(np.float32)
    pts = np.asarray([h_.exit_xy for h_ in sample.truth.inside_hairs], dtype=np.float64).reshape(-1, 2)
    return {
        "image": image,
        "shaft": shaft,
        "shaft_weight": np.ones((h, w), np.float32),
        "exit_weight": np.ones((h, w), np.float32),
        "diameter": diameter,
        "mil": np.zeros((h, w), np.int32),
        "points": scale_points(pts, factor),
    }


def boxes_to_item(
    image: np.ndarray,
    boxes: np.ndarray,
    um_per_px: float,
    canonical_um_per_px: float,
    border_ignore_px: int = 24,
    margin_px: int = 4,
    roots: list | None = None,
    root_radius_px: int = 8,
    shaft_half_px: int = 3,
) -> dict[str, np.ndarray]:
    """Weak targets from one-box-per-hair annotations, honest about what a box tells.

    A box covers one hair shaft; the shaft runs along one of the box's diagonals and the
    exit point lies at one end of it: which of the four corners is unknown. So:

    * shaft mask: certain background outside every box (plus ``margin_px``) and away from
      the frame (hairs cut by the border are often unlabelled); ignored inside boxes.
    * exit heatmap: certain background in the same region; ignored inside boxes.
    * ``mil``: four corner squares per box; the loss asks for one high exit value in
      them (multiple-instance), not for a peak at a guessed place.
    * diameter: no supervision.

    Where ``roots`` gives a box its ``[x_root, y_root, x_tip, y_tip]`` (pseudo-labels, see
    :mod:`trichometry.training.pseudolabel`), the root is an exit point (``points``) and the
    exit map is supervised in discs of ``root_radius_px`` (canonical px) around the root and
    the tip and along the shaft between them (``shaft_half_px`` either side of the line):
    only the root is positive, so the head learns that a cut tip or the middle of a short
    clipped shaft is no exit (with the rest of the box unsupervised, it had spread broad
    plateaus with several maxima over whole short hairs). The box leaves the
    multiple-instance term.

    Args:
        image: ``(H, W, 3)`` uint8 RGB at ``um_per_px``.
        boxes: ``(N, 4)`` ``[xmin, ymin, xmax, ymax]`` in the image's pixels.
        roots: per box ``[x_root, y_root, x_tip, y_tip]`` in the image's pixels, or ``None``.
    """
    factor = um_per_px / canonical_um_per_px
    img = resample_image(image, factor)
    h, w = img.shape[:2]
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * factor
    known = np.ones((h, w), np.float32)
    bi = border_ignore_px
    known[:bi, :] = 0
    known[-bi:, :] = 0
    known[:, :bi] = 0
    known[:, -bi:] = 0
    mil = np.zeros((h, w), np.int32)
    for k, (x0, y0, x1, y1) in enumerate(b, start=1):
        xa, ya = max(int(np.floor(x0)) - margin_px, 0), max(int(np.floor(y0)) - margin_px, 0)
        xb, yb = min(int(np.ceil(x1)) + margin_px + 1, w), min(int(np.ceil(y1)) + margin_px + 1, h)
        known[ya:yb, xa:xb] = 0
        side = int(np.clip(0.4 * min(x1 - x0, y1 - y0), 3, 24))
        for cx, cy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            cx0 = int(np.clip(round(cx) - side // 2, 0, w - 1))
            cy0 = int(np.clip(round(cy) - side // 2, 0, h - 1))
            mil[cy0 : min(cy0 + side, h), cx0 : min(cx0 + side, w)] = k
    exit_weight = known.copy()
    points = np.zeros((0, 2), np.float64)
    if roots is not None:
        if len(roots) != len(b):
            raise ConfigError(f"{len(roots)} root labels for {len(b)} boxes; label this data set again.")
        labelled = [(k, r) for k, r in enumerate(roots, start=1) if r is not None]
        yy, xx = np.mgrid[0:h, 0:w]
        shafts = np.zeros((h, w), np.uint8)
        for k, r in labelled:
            mil[mil == k] = 0
            (rx, ry), (tx, ty) = scale_points(np.asarray(r, np.float64).reshape(2, 2), factor)
            # the shaft from the root to the tip holds no exit point of its own
            cv2.line(shafts, (round(rx), round(ry)), (round(tx), round(ty)), 1, 2 * shaft_half_px + 1)
            for x, y in ((rx, ry), (tx, ty)):
                x0, x1 = max(int(x) - root_radius_px, 0), min(int(x) + root_radius_px + 1, w)
                y0, y1 = max(int(y) - root_radius_px, 0), min(int(y) + root_radius_px + 1, h)
                disc = (xx[y0:y1, x0:x1] - x) ** 2 + (yy[y0:y1, x0:x1] - y) ** 2 <= root_radius_px**2
                exit_weight[y0:y1, x0:x1][disc] = 1.0
        exit_weight[shafts > 0] = 1.0
        if labelled:
            rs = np.asarray([r[:2] for _, r in labelled], np.float64)
            points = scale_points(rs, factor)
            inside = (points[:, 0] >= 0) & (points[:, 0] < w) & (points[:, 1] >= 0) & (points[:, 1] < h)
            points = points[inside]
    return {
        "image": img,
        "shaft": np.zeros((h, w), np.float32),
        "shaft_weight": known,
        "exit_weight": exit_weight,
        "diameter": np.zeros((h, w), np.float32),
        "mil": mil,
        "points": points,
    }


def render_heatmap(points: np.ndarray, height: int, width: int, sigma_px: float | np.ndarray) -> np.ndarray:
    """Exit-point target: a unit Gaussian at each ``(x, y)`` (max where they overlap).

    Args:
        sigma_px: one sigma for all points, or one per point (``(N,)``).

    Returns:
        ``(height, width)`` float32 in ``[0, 1]``; exactly 1 at the pixel nearest each point.
    """
    heat = np.zeros((height, width), np.float32)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    sigmas = np.broadcast_to(np.asarray(sigma_px, dtype=np.float64), (len(pts),))
    for (x, y), sigma in zip(pts, sigmas):
        r = max(1, int(np.ceil(3 * sigma)))
        cx, cy = round(x), round(y)
        x0, x1 = max(cx - r, 0), min(cx + r + 1, width)
        y0, y1 = max(cy - r, 0), min(cy + r + 1, height)
        if x0 >= x1 or y0 >= y1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        g = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)).astype(np.float32)
        if 0 <= cy < height and 0 <= cx < width:
            g[cy - y0, cx - x0] = 1.0  # the peak pixel is exactly 1 (focal-loss positive)
        np.maximum(heat[y0:y1, x0:x1], g, out=heat[y0:y1, x0:x1])
    return heat


def point_sigmas(
    points: np.ndarray,
    diameter: np.ndarray,
    sigma_px: float,
    per_diameter: float = 0.0,
    max_px: float = 6.0,
    window_px: int = 3,
) -> np.ndarray:
    """One heatmap sigma per exit point, growing with the hair's width.

    A terminal hair is 20-30 px wide at 3 um/px: where along its end the skin line lies is
    uncertain by a good part of that width, so a fixed 2 px Gaussian asks for a precision
    the image does not hold and gives the network almost no positive pixels to learn from.
    The sigma is ``clip(per_diameter * d, sigma_px, max_px)`` with ``d`` the largest
    diameter (canonical px) within ``window_px`` of the point; ``per_diameter = 0`` keeps
    the fixed ``sigma_px``.

    Returns:
        ``(N,)`` float64 sigmas in canonical px.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = np.full(len(pts), float(sigma_px))
    if per_diameter <= 0 or not len(pts):
        return out
    r = window_px
    for i, (x, y) in enumerate(pts):
        cx, cy = round(x), round(y)
        win = diameter[max(cy - r, 0) : cy + r + 1, max(cx - r, 0) : cx + r + 1]
        d = float(win.max()) if win.size else 0.0
        out[i] = float(np.clip(per_diameter * d, sigma_px, max(max_px, sigma_px)))
    return out
