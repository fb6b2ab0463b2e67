"""Cross-visit hysteresis: a confident hair at one visit rescues a faint one at the other.

Each photo keeps its sub-threshold exit peaks as candidates (``HairPoints.candidates_xy``).
After the normal assignment, baseline hairs left unpaired in the overlap are assigned
optimally (:func:`~trichometry.visits.assignment.assign`, within the matching distance) to
the follow-up's candidates mapped into the baseline frame, and follow-up hairs left
unpaired to the baseline's candidates. The chosen candidates are promoted to hairs
(appended, diameter NaN, id -1) so the final assignment can pair them; a promoted
candidate that ends up in no counted pair is given back (:func:`keep_paired`), so a
candidate never counts on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from trichometry.visits.assignment import assign
from trichometry.visits.hairs import HairPoints
from trichometry.visits.registration import Registration


def promote(points: HairPoints, chosen: np.ndarray) -> HairPoints:
    """``points`` with the candidates ``chosen`` appended as hairs (diameter NaN, id -1)."""
    chosen = np.asarray(chosen, dtype=np.int64).reshape(-1)
    if len(chosen) == 0 or points.candidates_xy is None:
        return points
    cand = points.candidates_xy
    rest = np.ones(len(cand), dtype=bool)
    rest[chosen] = False
    return replace(
        points,
        xy_px=np.vstack([points.xy_px, cand[chosen]]),
        diameter_um=np.concatenate([points.diameter_um, np.full(len(chosen), np.nan)]),
        diameter_se_um=np.concatenate([points.diameter_se, np.full(len(chosen), np.nan)]),
        ids=None if points.ids is None else np.concatenate([points.ids, np.full(len(chosen), -1)]),
        candidates_xy=cand[rest],
    )


def rescue(
    base: HairPoints,
    follow: HairPoints,
    registration: Registration,
    pairs: np.ndarray,
    in_overlap: Callable[[np.ndarray], np.ndarray],
    max_distance_px: float,
) -> tuple[HairPoints, HairPoints]:
    """Promote the candidates that unpaired hairs of the other visit rescue.

    Args:
        base, follow: the hairs (and candidates) of both photos, at the baseline scale.
        registration: follow-up -> baseline transform.
        pairs: ``(K, 2)`` pairs of the normal assignment.
        in_overlap: ``(N, 2)`` baseline-frame points -> ``(N,)`` bool, inside the counted area.
        max_distance_px: matching distance in baseline pixels.

    Returns:
        ``(base, follow)`` with the rescued candidates appended as hairs (original hairs
        keep their indices).
    """
    mapped = registration.apply(follow.xy_px)
    base_left = np.setdiff1d(np.arange(len(base)), pairs[:, 0])
    follow_left = np.setdiff1d(np.arange(len(follow)), pairs[:, 1])
    base_left = base_left[in_overlap(base.xy_px[base_left])] if len(base_left) else base_left
    follow_left = follow_left[in_overlap(mapped[follow_left])] if len(follow_left) else follow_left
    chosen_follow = chosen_base = np.zeros(0, dtype=np.int64)
    if follow.n_candidates and len(base_left):
        found, _ = assign(base.xy_px[base_left], registration.apply(follow.candidates_xy), max_distance_px)
        chosen_follow = found[:, 1]
    if base.n_candidates and len(follow_left):
        found, _ = assign(mapped[follow_left], base.candidates_xy, max_distance_px)
        chosen_base = found[:, 1]
    return promote(base, chosen_base), promote(follow, chosen_follow)


def keep_paired(points: HairPoints, n_hairs: int, paired: np.ndarray) -> tuple[HairPoints, np.ndarray]:
    """Give back the promoted candidates (indices ``>= n_hairs``) that are not in ``paired``.

    Returns:
        The points without them (given back to ``candidates_xy``) and an ``(N,)`` int
        index map old -> new (``-1`` for the ones given back).
    """
    idx = np.arange(len(points))
    keep = (idx < n_hairs) | np.isin(idx, paired)
    new_index = np.where(keep, np.cumsum(keep) - 1, -1)
    if keep.all():
        return points, new_index
    back = points.xy_px[~keep]
    cand = points.candidates_xy if points.candidates_xy is not None else np.zeros((0, 2))
    return (
        replace(
            points,
            xy_px=points.xy_px[keep],
            diameter_um=points.diameter_um[keep],
            diameter_se_um=points.diameter_se[keep],
            ids=None if points.ids is None else points.ids[keep],
            candidates_xy=np.vstack([cand, back]),
        ),
        new_index,
    )


def settle(
    base: HairPoints,
    follow: HairPoints,
    registration: Registration,
    pairs: np.ndarray,
    dist_px: np.ndarray,
    n_base: int,
    n_follow: int,
    in_overlap: Callable[[np.ndarray], np.ndarray],
) -> tuple[HairPoints, HairPoints, np.ndarray, np.ndarray, np.ndarray]:
    """The final assignment's pairs a promoted candidate may stay in, and the points to keep.

    A promoted candidate (index ``>= n_base`` / ``>= n_follow``) stays only in a pair with a
    detected hair whose midpoint lies in the overlap; the other promoted candidates are given
    back (:func:`keep_paired`), so none counts on its own.

    Returns:
        ``(base, follow, mapped, pairs, dist_px)``: points, the follow-up exit points mapped
        into the baseline frame, and the pairs re-indexed to those points.
    """
    mapped = registration.apply(follow.xy_px)
    cand_b, cand_f = pairs[:, 0] >= n_base, pairs[:, 1] >= n_follow
    ok = ~(cand_b & cand_f)
    with_cand = ok & (cand_b | cand_f)
    if with_cand.any():
        mid = 0.5 * (base.xy_px[pairs[with_cand, 0]] + mapped[pairs[with_cand, 1]])
        ok[with_cand] = in_overlap(mid)
    pairs, dist_px = pairs[ok], dist_px[ok]
    base, b_index = keep_paired(base, n_base, pairs[:, 0])
    follow, f_index = keep_paired(follow, n_follow, pairs[:, 1])
    pairs = np.column_stack([b_index[pairs[:, 0]], f_index[pairs[:, 1]]]).astype(np.int64).reshape(-1, 2)
    return base, follow, registration.apply(follow.xy_px), pairs, dist_px
