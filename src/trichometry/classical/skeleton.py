"""Skeleton graph: split a shaft skeleton into branches and rejoin them into hair paths.

Branches meet at junctions. Two branch ends at one junction that continue each other in
a nearly straight line are the same hair passing a crossing (or touching another hair)
and are joined; the other ends at a junction stop there (hairs fanning out of one
opening). Short spurs from skeletonisation are dropped first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

_K8 = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float32)


@dataclass
class Path:
    """One candidate hair: ordered skeleton points and what each end touches.

    Attributes:
        points: ``(N, 2)`` float ``(x, y)``.
        end_kinds: for the first and the last point: ``"free"``, ``"junction"`` (an opening
            shared with other unpaired branches), ``"tee"`` (the branch stops on another
            hair that passes through: a T) or ``"border"``.
    """

    points: np.ndarray
    end_kinds: tuple[str, str]

    @property
    def length(self) -> float:
        seg = np.diff(self.points, axis=0)
        return float(np.hypot(seg[:, 0], seg[:, 1]).sum())


def _order_branch(coords: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Order the pixels of a simple 8-connected branch from one end to the other."""

    def nbrs(p):
        y, x = p
        return [
            (y + dy, x + dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if (dy or dx) and (y + dy, x + dx) in coords
        ]

    start = next((p for p in coords if len(nbrs(p)) <= 1), next(iter(coords)))
    order = [start]
    seen = {start}
    cur = start
    while True:
        nxt = [q for q in nbrs(cur) if q not in seen]
        if not nxt:
            break
        # prefer 4-neighbours (keeps the walk on the line at diagonal steps)
        nxt.sort(key=lambda q: abs(q[0] - cur[0]) + abs(q[1] - cur[1]))
        cur = nxt[0]
        seen.add(cur)
        order.append(cur)
    return order


def _end_dir(pts: np.ndarray, at_start: bool, span: int) -> np.ndarray:
    """Unit vector pointing out of the branch at one end, measured between ``span / 2``
    and ``2 span`` points from the end (the skeleton bends where thick shafts cross)."""
    n = len(pts)
    near, far = min(span // 2, n // 3), min(2 * span, n - 1)
    if at_start:
        a, b = pts[far], pts[near]
    else:
        a, b = pts[n - 1 - far], pts[n - 1 - near]
    v = b - a
    n = float(np.hypot(*v))
    return v / n if n > 0 else v


def skeleton_paths(
    skel: np.ndarray,
    width_px: float,
    max_bend_deg: float = 30.0,
    radius: np.ndarray | None = None,
    edge_dist: np.ndarray | None = None,
) -> list[Path]:
    """Hair paths from a binary skeleton.

    Args:
        skel: ``(H, W)`` bool skeleton (one pixel wide).
        width_px: typical shaft width; spurs shorter than this are dropped and branch
            directions are taken over ``2 * width_px``.
        max_bend_deg: two branch ends at a junction are joined if they continue each
            other within this angle.
        radius: optional ``(H, W)`` shaft radius (distance transform); an end closer to
            the frame edge than its radius + 2 px is on the border (skeletons stop about
            one radius short of the mask's end).
        edge_dist: optional ``(H, W)`` distance to the nearest pixel that cannot be seen
            (frame edge or burned-in overlay); replaces the frame-edge test, so a shaft
            cut by an overlay strip is treated like one cut by the frame.
    """
    sk = skel.astype(bool).copy()
    h, w = sk.shape
    span = max(3, int(2 * width_px))
    for _ in range(3):  # prune spurs, then re-split
        nb, jlab, blab = _split(sk)
        touch = ndimage.binary_dilation(jlab > 0, structure=np.ones((3, 3), bool))
        spurs = []
        for b, sl in enumerate(ndimage.find_objects(blab), start=1):
            if sl is None:
                continue
            m = blab[sl] == b
            if int(m.sum()) < width_px and touch[sl][m].any() and (nb[sl][m] <= 1).any():
                spurs.append(b)
        if not spurs:
            break
        sk &= ~np.isin(blab, spurs)
        sk = _thin(sk)
    nb, jlab, blab = _split(sk)

    # ordered branches with their junction at each end
    branch_pts: list[np.ndarray] = []
    branch_j: list[list[int]] = []
    for b, sl in enumerate(ndimage.find_objects(blab), start=1):
        if sl is None:
            continue
        ys, xs = np.nonzero(blab[sl] == b)
        coords = {(int(y + sl[0].start), int(x + sl[1].start)) for y, x in zip(ys, xs)}
        order = _order_branch(coords)
        pts = np.array([(x, y) for y, x in order], dtype=float)
        ends = []
        for y, x in (order[0], order[-1]):
            win = jlab[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2]
            ids = win[win > 0]
            ends.append(int(ids[0]) if len(ids) else 0)
        branch_pts.append(pts)
        branch_j.append(ends)

    # at each junction, join straight continuations (greedy, straightest first)
    link: dict[tuple[int, int], tuple[int, int]] = {}
    by_j: dict[int, list[tuple[int, int]]] = {}
    for b, ends in enumerate(branch_j):
        for e, j in enumerate(ends):
            if j:
                by_j.setdefault(j, []).append((b, e))
    cos_lim = math.cos(math.radians(max_bend_deg))
    for members in by_j.values():
        cands = []
        for a in range(len(members)):
            for c in range(a + 1, len(members)):
                (b1, e1), (b2, e2) = members[a], members[c]
                if b1 == b2:
                    continue
                d1 = _end_dir(branch_pts[b1], e1 == 0, span)
                d2 = _end_dir(branch_pts[b2], e2 == 0, span)
                straight = -float(np.dot(d1, d2))  # 1 when they continue each other
                if straight >= cos_lim:
                    cands.append((straight, members[a], members[c]))
        for _, m1, m2 in sorted(cands, reverse=True):
            if m1 not in link and m2 not in link:
                link[m1], link[m2] = m2, m1

    unpaired_at_j: dict[int, int] = {}
    for j, members in by_j.items():
        unpaired_at_j[j] = sum(1 for m in members if m not in link)

    def kind(b: int, e: int) -> str:
        y, x = branch_pts[b][0 if e == 0 else -1][::-1]
        m = 1.0 + (float(radius[int(y), int(x)]) + 1.0 if radius is not None else 0.0)
        if edge_dist is not None:
            if edge_dist[int(y), int(x)] <= m:
                return "border"
        elif x <= m or y <= m or x >= w - 1 - m or y >= h - 1 - m:
            return "border"
        j = branch_j[b][e]
        if not j:
            return "free"
        return "junction" if unpaired_at_j.get(j, 0) >= 2 else "tee"

    # walk chains of linked branches into paths
    used = [False] * len(branch_pts)
    paths: list[Path] = []
    for b0 in range(len(branch_pts)):
        if used[b0]:
            continue
        # go to one end of the chain
        b, e = b0, 0
        guard = 0
        while (b, e) in link and guard < len(branch_pts):
            nb_, ne = link[(b, e)]
            b, e = nb_, 1 - ne
            guard += 1
            if b == b0:
                break
        # now walk from (b, e) end through the chain
        start_kind = kind(b, e)
        pts_all: list[np.ndarray] = []
        cur_b, cur_e = b, e
        while True:
            used[cur_b] = True
            p = branch_pts[cur_b]
            p = p if cur_e == 0 else p[::-1]
            pts_all.append(p)
            out_e = 1 - cur_e
            nxt = link.get((cur_b, out_e))
            if nxt is None or used[nxt[0]]:
                end_kind = kind(cur_b, out_e)
                break
            cur_b, cur_e = nxt
        paths.append(Path(np.concatenate(pts_all, axis=0), (start_kind, end_kind)))
    return paths


def _split(sk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbour counts, labelled junction clusters and labelled branches of a skeleton."""
    eight = np.ones((3, 3), bool)
    nb = cv2.filter2D(sk.astype(np.float32), -1, _K8, borderType=cv2.BORDER_CONSTANT)
    junction = sk & (nb >= 3)
    jdil = ndimage.binary_dilation(junction, structure=eight) & sk
    jlab, _ = ndimage.label(jdil, structure=eight)
    blab, _ = ndimage.label(sk & ~jdil, structure=eight)
    return nb, jlab, blab


def _thin(mask: np.ndarray) -> np.ndarray:
    from skimage.morphology import skeletonize

    return skeletonize(mask)
