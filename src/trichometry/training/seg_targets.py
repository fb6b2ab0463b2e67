"""Segments (one per hair) and the stride-grid targets of the segment network.

A hair is a segment from its root end to its tip end, in canonical pixels (``(x, y)``,
pixel centres at integers). Its *centre* is the middle of the visible shaft. Where the
root end is known (generated scenes) the segment is directed; from a real box it is not
(``sign_known`` False: either end may be the root), and its diameter may be unknown.

:func:`render_targets` rasterises segments onto the network's output grid (stride 4):
a Gaussian centre heatmap (peak exactly 1 at the centre's cell, so the CenterNet focal
loss sees one positive per hair), and at that cell the sub-cell offset, the vector to the
root end (in cells) and the log diameter, with masks saying which are supervised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Segments:
    """Hairs as segments, in canonical px.

    Attributes:
        roots, tips: ``(N, 2)`` ``(x, y)`` of each hair's root end and tip end.
        centres: ``(N, 2)`` the middle of the visible shaft (for a straight hair, of the
            segment; for a curved one, the point half-way along the shaft).
        diameters: ``(N,)`` shaft diameter near the root (px), NaN where unknown.
        sign_known: ``(N,)`` whether ``roots`` is really the root end (else either end).
    """

    roots: np.ndarray
    tips: np.ndarray
    centres: np.ndarray
    diameters: np.ndarray
    sign_known: np.ndarray

    @classmethod
    def empty(cls) -> Segments:
        z = np.zeros((0, 2))
        return cls(z, z.copy(), z.copy(), np.zeros(0), np.zeros(0, bool))

    @classmethod
    def straight(
        cls,
        roots: np.ndarray,
        tips: np.ndarray,
        diameters: np.ndarray | None = None,
        sign_known: bool = False,
    ) -> Segments:
        """Straight segments (centre half-way between the ends)."""
        r = np.asarray(roots, float).reshape(-1, 2)
        t = np.asarray(tips, float).reshape(-1, 2)
        d = np.full(len(r), np.nan) if diameters is None else np.asarray(diameters, float).reshape(-1)
        return cls(r, t, (r + t) / 2.0, d, np.full(len(r), bool(sign_known)))

    def __len__(self) -> int:
        return len(self.roots)

    def select(self, keep: np.ndarray) -> Segments:
        return Segments(
            self.roots[keep], self.tips[keep], self.centres[keep], self.diameters[keep], self.sign_known[keep]
        )

    def mapped(self, fn) -> Segments:
        """The segments with every point passed through ``fn((N, 2)) -> (N, 2)``."""
        return Segments(fn(self.roots), fn(self.tips), fn(self.centres), self.diameters, self.sign_known)

    def scaled(self, factor: float) -> Segments:
        """After resampling the image by ``factor`` (pixel centres at integers)."""
        pts = (_scale_pts(p, factor) for p in (self.roots, self.tips, self.centres))
        return Segments(*pts, self.diameters * factor, self.sign_known)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "seg_roots": self.roots,
            "seg_tips": self.tips,
            "seg_centres": self.centres,
            "seg_diameters": self.diameters,
            "seg_sign_known": self.sign_known,
        }

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> Segments:
        return cls(
            np.asarray(d["seg_roots"], float).reshape(-1, 2),
            np.asarray(d["seg_tips"], float).reshape(-1, 2),
            np.asarray(d["seg_centres"], float).reshape(-1, 2),
            np.asarray(d["seg_diameters"], float).reshape(-1),
            np.asarray(d["seg_sign_known"], bool).reshape(-1),
        )


def _scale_pts(p: np.ndarray, factor: float) -> np.ndarray:
    return (np.asarray(p, float) + 0.5) * factor - 0.5


@dataclass(frozen=True)
class TargetSpec:
    """How segments become grid targets.

    Attributes:
        stride: output stride of the network (canonical px per cell).
        sigma_per_length: centre Gaussian sigma as a share of the segment length (cells).
        sigma_min, sigma_max: limits of that sigma, in cells. Small enough that the centres
            of a unit's hairs (2-3 cells apart) stay separate peaks.
    """

    stride: int = 4
    sigma_per_length: float = 0.05
    sigma_min: float = 0.7
    sigma_max: float = 1.5


def centre_sigmas(seg: Segments, spec: TargetSpec) -> np.ndarray:
    """``(N,)`` Gaussian sigma of each segment's centre peak, in cells."""
    length = np.hypot(*(seg.tips - seg.roots).T) / spec.stride if len(seg) else np.zeros(0)
    return np.clip(spec.sigma_per_length * length, spec.sigma_min, spec.sigma_max)


def render_targets(seg: Segments, height_px: int, width_px: int, spec: TargetSpec) -> dict[str, np.ndarray]:
    """Grid targets of one crop.

    Args:
        seg: the crop's segments (canonical px; centres outside the crop are ignored).
        height_px, width_px: crop size; the grid is ``ceil(size / stride)`` cells.
        spec: stride and Gaussian sizes.

    Returns:
        ``heat`` ``(1, Hc, Wc)`` in [0, 1] (exactly 1 at each centre's cell); ``reg``
        ``(5, Hc, Wc)``: offset x, y (0..1 in the cell), root vector x, y (cells), log
        diameter (px); ``reg_mask`` ``(1, Hc, Wc)`` 1 at supervised centre cells;
        ``sign_mask`` 1 where the root end is known; ``diam_mask`` 1 where the diameter is.
    """
    s = spec.stride
    hc, wc = -(-height_px // s), -(-width_px // s)
    heat = np.zeros((hc, wc), np.float32)
    reg = np.zeros((5, hc, wc), np.float32)
    masks = np.zeros((3, hc, wc), np.float32)  # reg, sign, diameter
    if len(seg) == 0:
        return _pack(heat, reg, masks)
    c = seg.centres
    inside = (c[:, 0] >= -0.5) & (c[:, 0] < width_px - 0.5) & (c[:, 1] >= -0.5) & (c[:, 1] < height_px - 0.5)
    sig = centre_sigmas(seg, spec)
    yy, xx = np.mgrid[0:hc, 0:wc].astype(np.float32)
    # shorter hairs last, so that where two centres share a cell the one drawn last wins
    order = np.argsort(-np.hypot(*(seg.tips - seg.roots).T))
    for i in order:
        if not inside[i]:
            continue
        gx, gy = (c[i] + 0.5) / s  # centre in cell units (cell k covers [k, k + 1))
        ix, iy = min(int(gx), wc - 1), min(int(gy), hc - 1)
        r = max(1, int(np.ceil(3 * sig[i])))
        y0, y1, x0, x1 = max(iy - r, 0), min(iy + r + 1, hc), max(ix - r, 0), min(ix + r + 1, wc)
        g = np.exp(-((xx[y0:y1, x0:x1] - ix) ** 2 + (yy[y0:y1, x0:x1] - iy) ** 2) / (2 * sig[i] ** 2))
        heat[y0:y1, x0:x1] = np.maximum(heat[y0:y1, x0:x1], g)
        heat[iy, ix] = 1.0
        v = (seg.roots[i] - c[i]) / s
        reg[:, iy, ix] = (gx - ix, gy - iy, v[0], v[1], 0.0)
        masks[0, iy, ix] = 1.0
        masks[1, iy, ix] = float(seg.sign_known[i])
        d = seg.diameters[i]
        if np.isfinite(d) and d > 0:
            reg[4, iy, ix] = float(np.log(d))
            masks[2, iy, ix] = 1.0
    return _pack(heat, reg, masks)


def _pack(heat: np.ndarray, reg: np.ndarray, masks: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "heat": heat[None],
        "reg": reg,
        "reg_mask": masks[0:1],
        "sign_mask": masks[1:2],
        "diam_mask": masks[2:3],
    }
