"""Change measures between two visits, with 95 % intervals that use the pairing.

Counts: with hair-to-hair matching every follicle seen at either visit is a pair of
binary outcomes (hair present at baseline / at follow-up), so the count change is
``new - lost`` and its variance follows the paired (McNemar) design:
``Var(new - lost) = new + lost - (new - lost)^2 / n`` with ``n`` follicles seen, and never
below :data:`DETECTION_VAR_FLOOR` (one hair's worth): detection itself, a hair found in one
photo and missed in the other, leaves that much doubt even when every hair was matched,
so no interval is zero-width (``0 [-1.96, +1.96]`` hairs, not ``0 [0, 0]``).
Thickness: the mean of the paired per-hair diameter differences, with a t interval whose
variance is at least what the diameters' own standard errors give.
Repeatability of several photos of one area: within-area SD (SEM), CV and
``MDC95 = 1.96 * sqrt(2) * SEM``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from trichometry.visits.matching import HairMatching

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95 % interval (NaN when undefined)."""

    estimate: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        return Interval(self.estimate * factor, self.low * factor, self.high * factor)

    def to_dict(self) -> dict[str, float]:
        return {k: (round(v, 4) if math.isfinite(v) else None) for k, v in asdict(self).items()}  # type: ignore[misc]


NAN_INTERVAL = Interval(float("nan"), float("nan"), float("nan"))


DETECTION_VAR_FLOOR = 1.0  # hairs^2: the least variance of a count change (see the module docstring)


def paired_count_change(lost: int, new: int, n_follicles: int) -> Interval:
    """Count change ``new - lost`` with the paired-design 95 % interval.

    Args:
        lost: follicles with a hair at baseline only.
        new: follicles with a hair at follow-up only.
        n_follicles: follicles seen at either visit (matched + lost + new).

    Example:
        >>> paired_count_change(0, 0, 10).high  # the detection floor: never zero-width
        1.959963984540054
    """
    d = float(new - lost)
    if n_follicles <= 0:
        half = Z95 * math.sqrt(DETECTION_VAR_FLOOR)
        return Interval(0.0, -half, half)
    var = max(new + lost - d * d / n_follicles, DETECTION_VAR_FLOOR)
    half = Z95 * math.sqrt(var)
    return Interval(d, d - half, d + half)


def paired_mean(diffs: np.ndarray, se: np.ndarray | None = None) -> Interval:
    """Mean of paired differences with a 95 % interval (NaN values ignored).

    Without ``se`` the interval is the t interval of the differences. With each
    difference's measurement standard error ``se`` (from the two diameters' fits) the
    variance of the mean is at least the measurement part, ``mean(se^2) / n``: the
    scatter of a few differences can by chance be smaller than their measurement error
    says, and one difference then has an interval too. One difference without an error
    gives an undefined interval; none gives NaN throughout.
    """
    d = np.asarray(diffs, dtype=np.float64)
    e = np.full(len(d), np.nan) if se is None else np.asarray(se, dtype=np.float64).reshape(-1)
    ok = np.isfinite(d)
    d, e = d[ok], e[ok]
    if len(d) == 0:
        return NAN_INTERVAL
    m = float(d.mean())
    known = bool(len(e)) and bool(np.isfinite(e).all())
    var_meas = float((e**2).mean()) / len(d) if known else 0.0
    if len(d) == 1:
        if not known:
            return Interval(m, float("nan"), float("nan"))
        half = Z95 * math.sqrt(var_meas)
        return Interval(m, m - half, m + half)
    var = max(float(d.var(ddof=1)) / len(d), var_meas)
    half = float(stats.t.ppf(0.975, len(d) - 1) * math.sqrt(var))
    return Interval(m, m - half, m + half)


@dataclass(frozen=True)
class PairChange:
    """Change between one baseline and one follow-up photo (or the combination of several).

    ``n_photos`` counts what was combined: photo pairs for a mean over pairs, the photos
    that entered both visits' consensuses for a consensus comparison.
    """

    baseline_count: float
    followup_count: float
    matched: float
    lost: float
    new: float
    thickened: float
    thinned: float
    overlap_area_cm2: float
    baseline_density_per_cm2: float
    followup_density_per_cm2: float
    density_change_per_cm2: Interval
    density_change_pct: Interval
    non_vellus_change_per_cm2: Interval
    mean_thickness_change_um: Interval
    share_became_active: float
    share_went_dormant: float
    n_photos: int = 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in asdict(self).items():
            if isinstance(v, dict):
                out[k] = Interval(**v).to_dict()
            else:
                out[k] = round(float(v), 4) if isinstance(v, float) and math.isfinite(v) else v
        return out


def change_from_matching(m: HairMatching) -> PairChange:
    """Density, non-vellus and thickness change of one matched photo pair."""
    s = m.summary()
    area = m.overlap_area_cm2
    n_base = s["baseline_count"]
    nf = s["matched"] + s["lost"] + s["new"]
    count = paired_count_change(s["lost"], s["new"], nf)
    per_cm2 = count.scaled(1.0 / area) if area > 0 else NAN_INTERVAL
    pct = count.scaled(100.0 / n_base) if n_base else NAN_INTERVAL
    # Non-vellus: per follicle an indicator at each visit; a paired binary outcome again.
    thr = m.config.non_vellus_um
    cb, cf = m.class_diameters_um()  # rescued hairs take their partner's class
    nv_lost = nv_new = 0
    if len(m.pairs):
        db = cb[m.pairs[:, 0]] >= thr
        df = cf[m.pairs[:, 1]] >= thr
        nv_lost += int(np.sum(db & ~df))
        nv_new += int(np.sum(~db & df))
    nv_lost += int(np.sum(cb[m.lost] >= thr))
    nv_new += int(np.sum(cf[m.new] >= thr))
    nv = paired_count_change(nv_lost, nv_new, nf)
    return PairChange(
        baseline_count=float(n_base),
        followup_count=float(s["followup_count"]),
        matched=float(s["matched"]),
        lost=float(s["lost"]),
        new=float(s["new"]),
        thickened=float(s["thickened"]),
        thinned=float(s["thinned"]),
        overlap_area_cm2=area,
        baseline_density_per_cm2=n_base / area if area > 0 else float("nan"),
        followup_density_per_cm2=s["followup_count"] / area if area > 0 else float("nan"),
        density_change_per_cm2=per_cm2,
        density_change_pct=pct,
        non_vellus_change_per_cm2=nv.scaled(1.0 / area) if area > 0 else NAN_INTERVAL,
        mean_thickness_change_um=paired_mean(m.diameter_change_um, m.diameter_change_se_um),
        share_became_active=s["share_became_active"],
        share_went_dormant=s["share_went_dormant"],
    )


def _combine_interval(items: Sequence[Interval]) -> Interval:
    """Mean estimate; the interval keeps the average half-width (photos of one area share
    the same hairs, so averaging them does not shrink the biological sampling error)."""
    est = np.array([i.estimate for i in items])
    if not np.isfinite(est).any():
        return NAN_INTERVAL
    m = float(np.nanmean(est))
    halves = np.array([(i.high - i.low) / 2 for i in items])
    halves = halves[np.isfinite(halves)]
    h = float(halves.mean()) if len(halves) else float("nan")
    return Interval(m, m - h, m + h)


def combine_changes(changes: Sequence[PairChange]) -> PairChange:
    """Combine the changes of several photos of one area at one visit (mean of each measure)."""
    if not changes:
        raise ValueError("combine_changes needs at least one PairChange")
    if len(changes) == 1:
        return changes[0]
    kw: dict[str, Any] = {}
    for name, value in asdict(changes[0]).items():
        if name == "n_photos":
            kw[name] = sum(c.n_photos for c in changes)
        elif isinstance(value, dict):
            kw[name] = _combine_interval([getattr(c, name) for c in changes])
        else:
            vals = np.array([getattr(c, name) for c in changes], dtype=np.float64)
            kw[name] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
    return PairChange(**kw)


@dataclass(frozen=True)
class Repeatability:
    """Agreement of repeated photos of the same area at the same visit.

    Attributes:
        n_groups: areas-visits with at least two photos.
        n_photos: photos in those groups.
        mean: grand mean of the measure.
        sem: within-group SD pooled over groups (standard error of measurement).
        cv_pct: ``100 * sem / mean``.
        mdc95: smallest detectable change, ``1.96 * sqrt(2) * sem``.
        mdc95_pct: ``100 * mdc95 / mean``.
    """

    n_groups: int
    n_photos: int
    mean: float
    sem: float
    cv_pct: float
    mdc95: float
    mdc95_pct: float

    def to_dict(self) -> dict[str, float]:
        return {k: (round(float(v), 4) if math.isfinite(float(v)) else None) for k, v in asdict(self).items()}  # type: ignore[misc]


def repeatability(groups: Sequence[Sequence[float]]) -> Repeatability:
    """Repeatability of a measure from groups of repeated photos (e.g. density per photo).

    Groups with fewer than two values are ignored; no usable group gives NaN figures.

    Example:
        >>> r = repeatability([[100, 102], [200, 198]])
        >>> round(r.sem, 3), round(r.mdc95, 3)
        (1.414, 3.92)
    """
    usable = [np.asarray(g, dtype=np.float64) for g in groups if len(g) >= 2]
    if not usable:
        nan = float("nan")
        return Repeatability(0, 0, nan, nan, nan, nan, nan)
    ss = sum(float(((g - g.mean()) ** 2).sum()) for g in usable)
    dof = sum(len(g) - 1 for g in usable)
    sem = math.sqrt(ss / dof)
    mean = float(np.mean(np.concatenate(usable)))
    mdc = Z95 * math.sqrt(2.0) * sem
    pct = 100.0 / mean if mean else float("nan")
    return Repeatability(len(usable), sum(len(g) for g in usable), mean, sem, sem * pct, mdc, mdc * pct)
