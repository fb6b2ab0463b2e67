"""One shaft, two peaks: find exit peaks that are the far end of another hair.

A detector that has learnt "a hair ends here" may fire at both ends of a short hair
(clipped hair in trial photos, 0.3-1 mm long, looks much the same at root and cut
tip). Traced, the two peaks run along one shaft towards each other. A hair's exit
cannot lie on another hair's visible shaft and run straight back along it, so one of
the two is dropped:

* where the image's hairs share a direction (a combed or clipped scalp: the mean unit
  direction of the traced hairs with a single peak, or of all when fewer than three, is
  at least ``min_resultant`` long), the peak that runs against it (the tip: hairs leave
  the skin the way they grow);
* otherwise the weaker peak.

Hairs of one follicular unit leave one opening side by side and fan out the same way,
and a crossing hair meets a shaft at an angle, so neither is touched: the far peak
must lie on the other hair's traced shaft (within ``perp_d`` diameters of it, at least
``min_along_d`` diameters from its exit) and run back along it (at least
``min_angle_deg`` from the shaft's direction there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from trichometry.errors import ConfigError
from trichometry.measure.trace import Trace


def _unit(direction_deg: float) -> np.ndarray:
    """Unit vector in image coordinates (x right, y down) of a direction (0 = +x, 90 = up)."""
    a = math.radians(direction_deg)
    return np.array([math.cos(a), -math.sin(a)])


def _on_shaft(xy: np.ndarray, points: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Distance from ``xy`` to a polyline, arc length of the nearest point, and the unit
    tangent there (pointing away from the polyline's start)."""
    a, b = points[:-1], points[1:]
    ab = b - a
    seg_len = np.hypot(ab[:, 0], ab[:, 1])
    ok = seg_len > 1e-9
    a, ab, seg_len = a[ok], ab[ok], seg_len[ok]
    if len(a) == 0:
        return float(np.hypot(*(xy - points[0]))), 0.0, np.zeros(2)
    t = np.clip(((xy - a) * ab).sum(axis=1) / seg_len**2, 0.0, 1.0)
    near = a + ab * t[:, None]
    dist = np.hypot(near[:, 0] - xy[0], near[:, 1] - xy[1])
    k = int(np.argmin(dist))
    arc = float(np.concatenate([[0.0], np.cumsum(seg_len)])[k] + t[k] * seg_len[k])
    return float(dist[k]), arc, ab[k] / seg_len[k]


def far_ends(
    exits: np.ndarray,
    scores: np.ndarray,
    traces: Sequence[Trace],
    diameters_px: np.ndarray,
    *,
    perp_d: float = 1.0,
    min_along_d: float = 2.0,
    min_angle_deg: float = 135.0,
    min_resultant: float = 0.3,
    min_px: float = 4.0,
) -> np.ndarray:
    """Which exit peaks are the far end of another hair's shaft (and so not hairs).

    Args:
        exits: ``(N, 2)`` exit points ``(x, y)``, strongest first.
        scores: ``(N,)`` their heatmap values.
        traces: one :class:`~trichometry.measure.trace.Trace` per exit.
        diameters_px: ``(N,)`` rough shaft diameter of each hair (sets the tolerances).
        perp_d: the far peak lies within this many diameters of the shaft (at least ``min_px``).
        min_along_d: ... and at least this many diameters along it from its exit (at least
            ``2 * min_px``), so hairs sharing an opening are never compared.
        min_angle_deg: ... and runs back along it: its direction at least this far from the
            shaft's direction there.
        min_resultant: the images' hairs share a direction when the mean of their unit
            directions is at least this long; then the peak against it is dropped.
        min_px: floor of the distance tolerances, in pixels.

    Returns:
        ``(N,)`` bool, ``True`` for a peak to drop.

    Raises:
        ConfigError: mismatched lengths or a tolerance out of range.
    """
    exits = np.asarray(exits, dtype=float).reshape(-1, 2)
    n = len(exits)
    if not (len(scores) == len(traces) == len(diameters_px) == n):
        raise ConfigError(
            f"far_ends needs one score, trace and diameter per exit, got {n} exits, "
            f"{len(scores)} scores, {len(traces)} traces, {len(diameters_px)} diameters."
        )
    if not (perp_d > 0 and min_along_d >= 0 and 90.0 <= min_angle_deg <= 180.0 and 0 <= min_resultant <= 1):
        raise ConfigError(
            "far-end tolerances out of range: need perp_d > 0, min_along_d >= 0, "
            f"90 <= min_angle_deg <= 180 and 0 <= min_resultant <= 1 (got {perp_d}, {min_along_d}, "
            f"{min_angle_deg}, {min_resultant})."
        )
    drop = np.zeros(n, dtype=bool)
    if n < 2:
        return drop
    units = np.array([_unit(tr.direction_deg) for tr in traces])
    cos_max = math.cos(math.radians(min_angle_deg))
    tree = cKDTree(exits)
    pairs: list[tuple[int, int]] = []  # (i, j): j lies on i's shaft, running back along it
    for i in range(n):
        if len(traces[i].points) < 2:
            continue
        d = max(float(diameters_px[i]), 1.0)
        reach, along = max(perp_d * d, min_px), max(min_along_d * d, 2 * min_px)
        for j in tree.query_ball_point(exits[i], r=traces[i].length_px + reach):
            if j == i:
                continue
            dist, arc, tangent = _on_shaft(exits[j], traces[i].points)
            if dist <= reach and arc >= along and float(units[j] @ tangent) <= cos_max:
                pairs.append((i, j))
    if not pairs:
        return drop
    # the shared direction is read from the hairs with one peak: a paired tip points the
    # wrong way, and where most hairs fired at both ends it would outvote the roots
    paired = np.zeros(n, dtype=bool)
    paired[[k for pair in pairs for k in pair]] = True
    mean = units[~paired].mean(axis=0) if (~paired).sum() >= 3 else units.mean(axis=0)
    shared = float(np.hypot(*mean)) >= min_resultant
    for i, j in pairs:  # i in score order (exits are strongest first)
        if drop[i] or drop[j]:
            continue
        if shared:
            drop[j if units[j] @ mean < units[i] @ mean else i] = True
        else:
            drop[j if scores[j] < scores[i] else i] = True
    return drop
