"""Trace each hair from its exit point along the shaft probability map.

Start direction: rays are cast from the exit point over all angles and scored by the
mean shaft probability along them; the hair leaves along the best ray. When several
exit points share one opening (a follicular unit), the opening's distinct ray peaks
are shared out among its exits, one hair each. Following: step along the shaft,
choosing at each step the straightest continuation within a small turn (so a crossing
hair, which meets at a larger angle, is passed over rather than followed), and
re-centre on the shaft between steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree


@dataclass
class Trace:
    """The visible shaft of one hair.

    Attributes:
        points: ``(N, 2)`` float ``(x, y)`` from the exit point (row 0) to the visible end.
        direction_deg: initial direction exit -> tip; 0 = +x (right), 90 = up (-y).
        length_px: visible length along the path.
        ray_score: unbroken shaft run along the starting ray, as a fraction of it (0..1).
        reaches_border: the path stopped at the frame edge (length is a lower bound).
    """

    points: np.ndarray
    direction_deg: float
    length_px: float
    ray_score: float
    reaches_border: bool


def sample(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``img`` at ``(x, y)`` (any shape); 0 outside the frame."""
    return ndimage.map_coordinates(
        img, [np.ravel(y), np.ravel(x)], order=1, mode="constant", cval=0.0
    ).reshape(np.shape(x))


def angular_profile(
    shaft: np.ndarray, xy: np.ndarray, r0: float, r1: float, threshold: float = 0.5, n_angles: int = 180
) -> np.ndarray:
    """Unbroken shaft run along rays ``r0..r1`` px from ``xy``, as a fraction of the ray.

    A run ends at the first two consecutive samples (1 px apart) below ``threshold``, so a
    ray that leaves its own shaft and meets another hair further out scores only its
    own part. Angle ``k`` points to ``2 pi k / n_angles`` from +x towards *up* (-y).
    """
    ang = np.linspace(0.0, 2 * math.pi, n_angles, endpoint=False)[:, None]
    r = np.linspace(r0, r1, max(4, math.ceil((r1 - r0) / 1.0) + 1))[None, :]
    xs = xy[0] + r * np.cos(ang)
    ys = xy[1] - r * np.sin(ang)
    off = sample(shaft, xs, ys) < threshold
    gap = off & np.concatenate([off[:, 1:], np.ones((n_angles, 1), bool)], axis=1)
    first = np.where(gap.any(axis=1), gap.argmax(axis=1), r.shape[1])
    return first / r.shape[1]


def ray_peaks(profile: np.ndarray, min_score: float, min_sep_deg: float = 20.0) -> list[int]:
    """Indices of circular local maxima ``>= min_score``, strongest first, ``min_sep_deg`` apart."""
    n = len(profile)
    sep = max(1, round(min_sep_deg / (360.0 / n)))
    order = np.argsort(-profile, kind="stable")
    chosen: list[int] = []
    for i in order:
        if profile[i] < min_score:
            break
        if all(min(abs(i - j), n - abs(i - j)) >= sep for j in chosen):
            chosen.append(int(i))
    return chosen


def _follow(
    shaft: np.ndarray,
    start: np.ndarray,
    theta: float,
    d: float,
    threshold: float,
    max_len: float,
    max_turn: float,
) -> tuple[np.ndarray, bool]:
    h, w = shaft.shape
    step = max(1.0, 0.5 * d)
    look = np.linspace(0.5, max(1.5 * d, 4.0), 6)
    turns = np.deg2rad(np.linspace(-max_turn, max_turn, 2 * int(max_turn // 3) + 1))
    normal_t = np.linspace(-1.2 * d, 1.2 * d, max(9, int(4.8 * d) + 1))
    p = np.asarray(start, dtype=float)
    th = theta
    pts = [p.copy()]
    length = 0.0
    border = False
    while length < max_len:
        cand = th + turns
        cx, cy = np.cos(cand)[:, None], -np.sin(cand)[:, None]
        score = sample(shaft, p[0] + cx * look, p[1] + cy * look).mean(axis=1)
        k = int(np.argmax(score - 1e-3 * np.abs(turns)))  # prefer straight on ties
        if score[k] < threshold:
            break
        th = float(cand[k])
        q = p + step * np.array([math.cos(th), -math.sin(th)])
        # re-centre across the shaft, unless the cross-section is wider than one hair (crossing)
        nx, ny = math.sin(th), math.cos(th)
        prof = sample(shaft, q[0] + nx * normal_t, q[1] + ny * normal_t) >= threshold
        c = len(normal_t) // 2
        if prof[c]:
            lo, hi = c, c
            while lo > 0 and prof[lo - 1]:
                lo -= 1
            while hi < len(prof) - 1 and prof[hi + 1]:
                hi += 1
            if lo > 0 and hi < len(prof) - 1 and normal_t[hi] - normal_t[lo] <= 1.4 * d:
                shift = float(np.clip(0.5 * (normal_t[lo] + normal_t[hi]), -0.25 * d, 0.25 * d))
                q = q + shift * np.array([nx, ny])
        if not (-0.5 <= q[0] < w - 0.5 and -0.5 <= q[1] < h - 0.5):
            border = True
            break
        length += float(np.hypot(*(q - p)))
        p = q
        pts.append(p.copy())
    # walk to the visible end in small steps
    if not border:
        u = np.array([math.cos(th), -math.sin(th)])
        for _ in range(int(2 * step) + 2):
            q = p + 0.5 * u
            if not (-0.5 <= q[0] < w - 0.5 and -0.5 <= q[1] < h - 0.5):
                border = True
                break
            if sample(shaft, np.array([q[0]]), np.array([q[1]]))[0] < threshold:
                break
            p = q
        if np.hypot(*(p - pts[-1])) > 1e-6:
            pts.append(p.copy())
    return np.asarray(pts), border


def trace_hairs(
    shaft_prob: np.ndarray,
    exits: np.ndarray,
    diam_px: np.ndarray,
    *,
    threshold: float = 0.5,
    max_turn_deg: float = 15.0,
    max_len_px: float | None = None,
) -> list[Trace]:
    """Trace one hair per exit point.

    Args:
        shaft_prob: ``(H, W)`` shaft probability.
        exits: ``(N, 2)`` exit points ``(x, y)``.
        diam_px: ``(N,)`` rough shaft diameter per exit (sets ray lengths and step size).
        threshold: shaft probability that counts as "on the shaft".
        max_turn_deg: largest change of direction per step.
        max_len_px: longest path followed (default: the frame diagonal).

    Returns:
        One :class:`Trace` per exit, in input order (a hair with no shaft has one point).
    """
    shaft = np.asarray(shaft_prob, dtype=np.float32)
    h, w = shaft.shape
    n = len(exits)
    max_len = float(max_len_px or math.hypot(h, w))
    d = np.maximum(np.asarray(diam_px, dtype=float), 2.0)
    r0 = 0.6 * d + 1.0
    span = np.maximum(6 * d, 20.0)
    profiles = [angular_profile(shaft, exits[i], r0[i], r0[i] + span[i], threshold) for i in range(n)]
    min_run = np.maximum(2.0, 0.5 * d) / span  # shortest run (fraction of the ray) that is a shaft
    thetas = np.zeros(n)
    scores = np.zeros(n)
    # exits closer than half a diameter share one opening: share its ray peaks out (exits
    # side by side, as in most follicular units, each cast their own rays)
    groups = _groups_by_diameter(exits, d) if n else np.zeros(0, dtype=int)
    n_ang = len(profiles[0]) if n else 1
    for g in np.unique(groups):
        members = list(np.flatnonzero(groups == g))
        if len(members) == 1:
            i = members[0]
            k = plateau_centre(_asym(profiles[i]))
            thetas[i], scores[i] = 2 * math.pi * k / n_ang, profiles[i][round(k) % n_ang]
            continue
        mean_prof = np.mean([profiles[i] for i in members], axis=0)
        peaks = ray_peaks(_asym(mean_prof), min_score=float(min_run[members].max())) or [
            int(np.argmax(mean_prof))
        ]
        _share_peaks(shaft, exits, d, members, peaks, mean_prof, threshold, thetas, scores)
    traces = []
    for i in range(n):
        if scores[i] < min_run[i]:
            traces.append(
                Trace(exits[i][None, :].astype(float), math.degrees(thetas[i]), 0.0, float(scores[i]), False)
            )
            continue
        pts, border = _follow(shaft, exits[i], thetas[i], d[i], threshold, max_len, max_turn_deg)
        seg = np.diff(pts, axis=0)
        length = float(np.hypot(seg[:, 0], seg[:, 1]).sum()) if len(pts) > 1 else 0.0
        traces.append(Trace(pts, _direction(pts, d[i], thetas[i]), length, float(scores[i]), border))
    return traces


def _asym(profile: np.ndarray) -> np.ndarray:
    """Run along a ray minus half the run straight behind: a hair *starts* at its exit,
    while another hair passing over the exit runs both ways."""
    return profile - 0.5 * np.roll(profile, len(profile) // 2)


def plateau_centre(profile: np.ndarray, rel: float = 0.98) -> float:
    """Circular index of the centre of the run of values ``>= rel * max`` around the maximum."""
    n = len(profile)
    k = int(np.argmax(profile))
    top = rel * profile[k]
    lo = hi = 0
    while lo < n // 2 and profile[(k - lo - 1) % n] >= top:
        lo += 1
    while hi < n // 2 and profile[(k + hi + 1) % n] >= top:
        hi += 1
    return (k + 0.5 * (hi - lo)) % n


def _direction(pts: np.ndarray, d: float, theta: float) -> float:
    """Exit -> shaft direction from the traced path a few diameters out (degrees, 90 = up)."""
    seg = np.diff(pts, axis=0)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    if s[-1] < 2.0:
        return math.degrees(theta) % 360.0
    q = min(s[-1], max(5 * d, 20.0))
    x, y = np.interp(q, s, pts[:, 0]) - pts[0, 0], np.interp(q, s, pts[:, 1]) - pts[0, 1]
    return math.degrees(math.atan2(-y, x)) % 360.0


def _share_peaks(shaft, exits, d, members, peaks, prof, threshold, thetas, scores) -> None:
    """Give each exit of one opening its own ray peak: the shaft whose axis passes nearest.

    The axis of the shaft along each peak is located across the shaft a few diameters
    out; exits are assigned to axes by least total perpendicular distance (Hungarian).
    """
    n_ang = len(prof)
    dd = float(np.max(d[members]))
    centre = exits[members].mean(axis=0)
    t = np.linspace(-2 * dd, 2 * dd, 81)
    cols, axes = [], []
    for k in peaks:
        th = 2 * math.pi * k / n_ang
        u = np.array([math.cos(th), -math.sin(th)])
        nrm = np.array([-u[1], u[0]])
        c = centre + 3 * dd * u
        on = sample(shaft, c[0] + t * nrm[0], c[1] + t * nrm[1]) >= threshold
        off = 0.0
        if on.any():
            idx = np.flatnonzero(on)
            j = idx[np.argmin(np.abs(t[idx]))]
            lo = hi = j
            while lo > 0 and on[lo - 1]:
                lo -= 1
            while hi < len(t) - 1 and on[hi + 1]:
                hi += 1
            off = 0.5 * (t[lo] + t[hi])
        axes.append((th, c + off * nrm, nrm))
    reps = math.ceil(len(members) / len(axes))
    cols = [a for _ in range(reps) for a in axes]
    cost = np.array([[abs(float(np.dot(exits[i] - p, nrm))) for (_, p, nrm) in cols] for i in members])
    rows, chosen = linear_sum_assignment(cost)
    for r, cidx in zip(rows, chosen):
        i = members[r]
        th = cols[cidx][0]
        k = round(th / (2 * math.pi) * n_ang) % n_ang
        thetas[i], scores[i] = th, max(prof[k], 0.0)


def _groups_by_diameter(exits: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Single-linkage groups with a per-pair link distance of half the larger diameter."""
    tree = cKDTree(exits)
    parent = list(range(len(exits)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, j in tree.query_pairs(r=float(0.5 * d.max())):
        if np.hypot(*(exits[i] - exits[j])) <= 0.5 * max(d[i], d[j]):
            parent[find(i)] = find(j)
    roots = np.array([find(i) for i in range(len(exits))])
    _, labels = np.unique(roots, return_inverse=True)
    return labels
