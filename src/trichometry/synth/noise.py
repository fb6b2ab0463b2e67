"""Position-keyed value noise: the same skin point always gets the same texture.

Noise is defined on a lattice in the skin frame (micrometres) whose node values come
from an integer hash of ``(seed, octave, i, j)``, so any view of a patch (shifted,
rotated, another scale) samples one consistent texture, and only the lattice nodes
under the view are ever computed. Sampling uses :func:`cv2.remap` (bicubic).
"""

from __future__ import annotations

import cv2
import numpy as np

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def _hash01(seed: int, octave: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """splitmix64-style hash of lattice indices to floats in ``[-1, 1)``."""
    with np.errstate(over="ignore"):
        z = (
            i.astype(np.uint64) * _M1
            + j.astype(np.uint64) * _M3
            + np.uint64((seed * 1_000_003 + octave * 7919) & 0xFFFFFFFFFFFF)
        )
        z = (z ^ (z >> np.uint64(30))) * _M2
        z = (z ^ (z >> np.uint64(27))) * _M3
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(40)).astype(np.float64) / float(1 << 24) * 2.0 - 1.0).astype(np.float32)


def value_noise(
    skin_x: np.ndarray, skin_y: np.ndarray, spacing_um: float, seed: int, octave: int = 0
) -> np.ndarray:
    """Smooth noise in about ``[-1, 1]`` sampled at skin points.

    Args:
        skin_x, skin_y: ``(H, W)`` float32 skin coordinates (um) of the pixels.
        spacing_um: lattice spacing (feature size) in um.
        seed, octave: select an independent noise field.

    Returns:
        ``(H, W)`` float32.
    """
    gx = skin_x / np.float32(spacing_um)
    gy = skin_y / np.float32(spacing_um)
    i0 = int(np.floor(gx.min())) - 2
    j0 = int(np.floor(gy.min())) - 2
    i1 = int(np.ceil(gx.max())) + 3
    j1 = int(np.ceil(gy.max())) + 3
    ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1))
    lattice = _hash01(seed, octave, ii + (1 << 20), jj + (1 << 20))
    map_x = (gx - np.float32(i0)).astype(np.float32)
    map_y = (gy - np.float32(j0)).astype(np.float32)
    return cv2.remap(lattice, map_x, map_y, interpolation=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def fbm(
    skin_x: np.ndarray,
    skin_y: np.ndarray,
    spacings_um: tuple[float, ...],
    seed: int,
    min_spacing_um: float = 0.0,
    first_octave: int = 0,
) -> np.ndarray:
    """Sum of :func:`value_noise` octaves, each weighted 1/2 of the previous, normalised to about [-1, 1].

    Octaves finer than ``min_spacing_um`` (below the pixel size) are skipped.
    """
    out = np.zeros(skin_x.shape, dtype=np.float32)
    total = 0.0
    w = 1.0
    for k, sp in enumerate(spacings_um):
        if sp >= min_spacing_um:
            out += np.float32(w) * value_noise(skin_x, skin_y, sp, seed, first_octave + k)
            total += w
        w *= 0.5
    return out / np.float32(max(total, 1e-6))
