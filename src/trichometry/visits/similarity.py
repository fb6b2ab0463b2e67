"""Similarity transforms (rotation, uniform scale, shift) between two point sets.

All functions use ``(x, y)`` pixel coordinates and ``(2, 3)`` matrices ``M`` that map a
point ``p`` to ``M[:, :2] @ p + M[:, 2]`` (the OpenCV convention of
``cv2.estimateAffinePartial2D``).
"""

from __future__ import annotations

import math

import numpy as np


def apply(matrix: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Map points through a ``(2, 3)`` matrix.

    Args:
        matrix: ``(2, 3)`` affine matrix.
        xy: ``(N, 2)`` points.

    Returns:
        ``(N, 2)`` float64 mapped points.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    m = np.asarray(matrix, dtype=np.float64)
    return xy @ m[:, :2].T + m[:, 2]


def compose(scale: float, rotation_deg: float, shift: tuple[float, float]) -> np.ndarray:
    """Build the ``(2, 3)`` matrix of a similarity (rotate and scale about the origin, then shift)."""
    th = math.radians(rotation_deg)
    c, s = scale * math.cos(th), scale * math.sin(th)
    return np.array([[c, -s, shift[0]], [s, c, shift[1]]], dtype=np.float64)


def decompose(matrix: np.ndarray) -> tuple[float, float, tuple[float, float]]:
    """Return ``(scale, rotation_deg, (tx, ty))`` of a similarity matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    scale = math.hypot(m[0, 0], m[1, 0])
    rot = math.degrees(math.atan2(m[1, 0], m[0, 0]))
    return scale, rot, (float(m[0, 2]), float(m[1, 2]))


def invert(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a ``(2, 3)`` affine matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    a_inv = np.linalg.inv(m[:, :2])
    return np.hstack([a_inv, (-a_inv @ m[:, 2])[:, None]])


def umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity mapping ``src`` onto ``dst`` (Umeyama 1991).

    Args:
        src: ``(N, 2)`` points, ``N >= 2``.
        dst: ``(N, 2)`` corresponding points.

    Returns:
        ``(2, 3)`` matrix.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s0, d0 = src - mu_s, dst - mu_d
    var_s = (s0**2).sum() / len(src)
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = float((sig * d).sum() / var_s) if var_s > 0 else 1.0
    a = scale * rot
    t = mu_d - a @ mu_s
    return np.hstack([a, t[:, None]])


def from_pairs(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Similarities that map each ``(p1, p2)`` onto ``(q1, q2)``, vectorised.

    Args:
        p1, p2, q1, q2: ``(K, 2)`` points.

    Returns:
        ``(K, 2, 3)`` matrices.
    """
    v = p2 - p1
    w = q2 - q1
    nv = np.hypot(v[:, 0], v[:, 1])
    nw = np.hypot(w[:, 0], w[:, 1])
    scale = nw / np.maximum(nv, 1e-12)
    ang = np.arctan2(w[:, 1], w[:, 0]) - np.arctan2(v[:, 1], v[:, 0])
    c, s = scale * np.cos(ang), scale * np.sin(ang)
    tx = q1[:, 0] - (c * p1[:, 0] - s * p1[:, 1])
    ty = q1[:, 1] - (s * p1[:, 0] + c * p1[:, 1])
    out = np.empty((len(p1), 2, 3))
    out[:, 0, 0], out[:, 0, 1], out[:, 0, 2] = c, -s, tx
    out[:, 1, 0], out[:, 1, 1], out[:, 1, 2] = s, c, ty
    return out


def frame_polygon(width: int, height: int) -> np.ndarray:
    """``(4, 2)`` corners of an image frame in pixel coordinates (pixel edges, clockwise)."""
    return np.array(
        [[-0.5, -0.5], [width - 0.5, -0.5], [width - 0.5, height - 0.5], [-0.5, height - 0.5]],
        dtype=np.float64,
    )


def inside_polygon(poly: np.ndarray, xy: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Whether each point lies inside a convex polygon, at least ``margin`` from its edges.

    Args:
        poly: ``(K, 2)`` convex polygon (either orientation).
        xy: ``(N, 2)`` points.
        margin: required distance from every edge (same unit as the points).

    Returns:
        ``(N,)`` bool.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    poly = np.asarray(poly, dtype=np.float64)
    a = poly
    b = np.roll(poly, -1, axis=0)
    edge = b - a
    length = np.hypot(edge[:, 0], edge[:, 1])
    area2 = np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1])
    sign = 1.0 if area2 > 0 else -1.0
    rel = xy[:, None, :] - a[None, :, :]
    cross = (edge[None, :, 0] * rel[..., 1] - edge[None, :, 1] * rel[..., 0]) * sign
    dist = cross / np.maximum(length[None, :], 1e-12)
    return np.all(dist >= margin, axis=1)
