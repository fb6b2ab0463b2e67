"""Stride-grid targets of the frame network (detector v3) from hair segments.

A hair is a straight segment between two ends ``p`` and ``q`` in canonical pixels
(``(x, y)``, pixel centres at integers); where the root is known (generated scenes),
``p`` is the root. The segment's box (its bounding rectangle), which of the box's two
diagonals it follows, and which end of that diagonal is the root are what the network
learns (:data:`~trichometry.models.framenet.FRAME_HEADS`); :func:`segment_parts` and
:func:`parts_to_segment` convert both ways, so decoding a rendered target gives back
the segment it was made from (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRIDE = 4
AXIS_PX = 1.5  # a box thinner than this has no diagonal to choose


@dataclass
class FrameTargets:
    """Targets of one image on a grid of ``(Hc, Wc)`` cells.

    Attributes:
        heat: ``(Hc, Wc)`` Gaussian centre heatmap, exactly 1 at each hair's centre cell.
        reg: ``(6, Hc, Wc)`` at centre cells: offset x, y (0..1), log w, log h, diagonal
            ("/" = 1), root (left end = 1).
        mask: ``(3, Hc, Wc)`` which centre cells supervise the box (offset, size), the
            diagonal, and the root.
    """

    heat: np.ndarray
    reg: np.ndarray
    mask: np.ndarray


def segment_parts(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centres ``(N, 2)``, box sizes ``(N, 2)``, diagonal (1 = "/") and root-is-left ``(N,)``
    of segments ``p -> q`` (``p`` the root)."""
    p = np.asarray(p, float).reshape(-1, 2)
    q = np.asarray(q, float).reshape(-1, 2)
    d = q - p
    centre = (p + q) / 2.0
    size = np.abs(d)
    slash = (d[:, 0] * d[:, 1]) < 0  # one end up-right of the other: "/"
    p_left = (p[:, 0] < q[:, 0]) | ((p[:, 0] == q[:, 0]) & (p[:, 1] <= q[:, 1]))
    return centre, size, slash.astype(float), p_left.astype(float)


def parts_to_segment(
    centre: np.ndarray, size: np.ndarray, slash: np.ndarray, root_left: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Root and tip ``(N, 2)`` from centres, box sizes, "/" probability and left-root
    probability (each read at 0.5)."""
    c = np.asarray(centre, float).reshape(-1, 2)
    half = np.asarray(size, float).reshape(-1, 2) / 2.0
    s = np.asarray(slash, float).reshape(-1) >= 0.5
    left_end = np.stack([c[:, 0] - half[:, 0], np.where(s, c[:, 1] + half[:, 1], c[:, 1] - half[:, 1])], 1)
    right_end = 2 * c - left_end
    left = (np.asarray(root_left, float).reshape(-1) >= 0.5)[:, None]
    return np.where(left, left_end, right_end), np.where(left, right_end, left_end)


def sigma_cells(length_px: np.ndarray, per_length: float, lo: float, hi: float) -> np.ndarray:
    """The centre Gaussian's sigma (cells): a share of the segment's length, clipped."""
    return np.clip(np.asarray(length_px, float) / STRIDE * per_length, lo, hi)


def render_targets(
    p: np.ndarray,
    q: np.ndarray,
    root_known: np.ndarray,
    shape_px: tuple[int, int],
    *,
    sigma_per_length: float = 0.08,
    sigma_min: float = 0.7,
    sigma_max: float = 1.6,
) -> FrameTargets:
    """Rasterise segments onto the stride grid of an image of ``shape_px`` (H, W).

    Segments whose centre falls outside the image are left out.
    """
    h, w = shape_px
    hc, wc = -(-h // STRIDE), -(-w // STRIDE)
    heat = np.zeros((hc, wc), np.float32)
    reg = np.zeros((6, hc, wc), np.float32)
    mask = np.zeros((3, hc, wc), np.float32)
    centre, size, slash, left = segment_parts(p, q)
    known = np.asarray(root_known, bool).reshape(-1)
    sig = sigma_cells(np.hypot(size[:, 0], size[:, 1]), sigma_per_length, sigma_min, sigma_max)
    ys, xs = np.mgrid[0:hc, 0:wc]
    for i in np.argsort(-np.hypot(size[:, 0], size[:, 1])):  # short hairs written last
        cx, cy = (centre[i] + 0.5) / STRIDE  # in cells, cell centres at +0.5
        ix, iy = int(np.floor(cx)), int(np.floor(cy))
        if not (0 <= ix < wc and 0 <= iy < hc):
            continue
        r = int(np.ceil(3 * sig[i]))
        y0, y1, x0, x1 = max(iy - r, 0), min(iy + r + 1, hc), max(ix - r, 0), min(ix + r + 1, wc)
        g = np.exp(-((xs[y0:y1, x0:x1] - ix) ** 2 + (ys[y0:y1, x0:x1] - iy) ** 2) / (2 * sig[i] ** 2))
        np.maximum(heat[y0:y1, x0:x1], g, out=heat[y0:y1, x0:x1])
        heat[iy, ix] = 1.0
        reg[:, iy, ix] = (
            cx - ix,
            cy - iy,
            np.log(max(size[i, 0], 1.0)),
            np.log(max(size[i, 1], 1.0)),
            slash[i],
            left[i],
        )
        mask[0, iy, ix] = 1.0
        mask[1, iy, ix] = float(min(size[i]) >= AXIS_PX)
        mask[2, iy, ix] = float(known[i])
    return FrameTargets(heat, reg, mask)
