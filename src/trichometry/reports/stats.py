"""Statistics per arm and window on the change from baseline (scipy.stats).

Within an arm: n, mean change, SD, 95 % confidence interval (Student t), a one-sample
t-test and a Wilcoxon signed-rank test of the change against zero, and the share of
responders. Between arms: the difference in mean change with a Welch 95 % interval,
Welch's t-test and the Mann-Whitney U test (all two-sided). Subjects without a value in a
window are counted and named as missing, never dropped silently. A statistic that cannot
be computed (n < 2, all changes equal) is NaN, shown as empty.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from trichometry.reports.engine import ReportConfig, VisitObservation
from trichometry.reports.parameters import PARAMETERS

NAN = math.nan


@dataclass(frozen=True)
class ArmWindowStats:
    """Change from baseline of one parameter, in one arm, site and window."""

    param: str
    site: str
    arm: str
    window: str
    n: int
    n_missing: int
    missing_subjects: tuple[str, ...]
    mean_base: float
    mean_aval: float
    mean_chg: float
    sd_chg: float
    ci95_lo: float
    ci95_hi: float
    mean_pchg: float
    t_p: float
    wilcoxon_p: float
    n_responders: int | None
    responder_share: float


@dataclass(frozen=True)
class ArmComparison:
    """Difference in mean change between two arms (``arm_a - arm_b``) in one window."""

    param: str
    site: str
    window: str
    arm_a: str
    arm_b: str
    n_a: int
    n_b: int
    diff: float
    ci95_lo: float
    ci95_hi: float
    welch_p: float
    mannwhitney_p: float


def _quiet(fn, *args, **kwargs) -> float:
    """A p-value, or NaN when scipy cannot compute one for these data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p = float(fn(*args, **kwargs).pvalue)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return NAN
    return p if math.isfinite(p) else NAN


def wilcoxon_p(changes: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p-value of ``changes`` against zero (zeros dropped).

    Exact for up to 50 non-zero changes without ties, else the normal approximation with
    tie correction: deterministic either way (scipy's default would switch to a slow,
    random permutation test when there are ties or zeros).
    """
    d = np.asarray(changes, dtype=float)
    d = d[d != 0]
    if d.size == 0:
        return NAN
    ties = np.unique(np.abs(d)).size < d.size
    method = "exact" if d.size <= 50 and not ties else "asymptotic"
    return _quiet(sps.wilcoxon, d, method=method)


def mean_ci(x: Sequence[float], level: float = 0.95) -> tuple[float, float, float, float]:
    """``(mean, sd, lo, hi)`` with a Student-t interval; NaN where n is too small."""
    a = np.asarray(x, dtype=float)
    n = a.size
    if n == 0:
        return NAN, NAN, NAN, NAN
    mean = float(a.mean())
    if n < 2:
        return mean, NAN, NAN, NAN
    sd = float(a.std(ddof=1))
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def welch_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean(a) - mean(b), lo, hi)`` with Welch-Satterthwaite degrees of freedom."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return NAN, NAN, NAN
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return diff, NAN, NAN
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, NAN, NAN
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(sps.t.ppf(0.5 + level / 2, df)) * se
    return diff, diff - half, diff + half


REFERENCE_NAMES = ("control", "placebo", "vehicle", "sham")


def reference_arm_of(arms: Sequence[str], reference: str | None = None) -> str | None:
    """``reference`` when it is one of ``arms``, else an arm named control/placebo/vehicle/sham, else None."""
    if reference in arms:
        return reference
    return next((a for a in sorted(arms) if a.lower() in REFERENCE_NAMES), None)


def arm_pairs(arms: Sequence[str], reference: str | None = None) -> list[tuple[str, str]]:
    """Pairs ``(a, b)`` compared as ``a - b``; the reference arm (when present) is always ``b``."""
    ref = reference_arm_of(arms, reference)
    return [(b, a) if a == ref else (a, b) for a, b in itertools.combinations(sorted(arms), 2)]


def _r(x: float) -> float:
    return round(float(x), 6) if math.isfinite(x) else NAN


def arm_window_stats(
    obs: Sequence[VisitObservation], config: ReportConfig
) -> tuple[list[ArmWindowStats], list[ArmComparison]]:
    """Statistics for every parameter x site x arm x window, and every pair of arms."""
    units: dict[tuple[str, str], set[str]] = defaultdict(set)  # (site, arm) -> subjects with a baseline
    cell: dict[tuple[str, str, str, str], dict[str, VisitObservation]] = defaultdict(dict)
    for o in obs:
        if o.is_baseline:
            units[(o.site, o.arm)].add(o.subject)
        if o.analysed and o.window is not None:
            cell[(o.site, o.arm, o.window.name)][o.subject] = o
    out: list[ArmWindowStats] = []
    comps: list[ArmComparison] = []
    sites = sorted({s for s, _ in units})
    for p in PARAMETERS:
        for site in sites:
            arms = sorted(a for s, a in units if s == site)
            for w in config.windows:
                changes: dict[str, list[float]] = {}
                for arm in arms:
                    got = cell.get((site, arm, w.name), {})
                    valid = {s: o for s, o in got.items() if math.isfinite(o.chg[p.code])}
                    missing = tuple(sorted(units[(site, arm)] - set(valid)))
                    chg = [valid[s].chg[p.code] for s in sorted(valid)]
                    changes[arm] = chg
                    mean, sd, lo, hi = mean_ci(chg)
                    pch = [v for v in (valid[s].pchg[p.code] for s in sorted(valid)) if math.isfinite(v)]
                    n_resp: int | None = None
                    share = NAN
                    if p.code == config.responder_param and pch:
                        n_resp = sum(1 for v in pch if v >= config.responder_threshold_pct)
                        share = n_resp / len(pch)
                    out.append(
                        ArmWindowStats(
                            param=p.code,
                            site=site,
                            arm=arm,
                            window=w.name,
                            n=len(chg),
                            n_missing=len(missing),
                            missing_subjects=missing,
                            mean_base=_r(np.mean([o.base[p.code] for o in valid.values()])) if valid else NAN,
                            mean_aval=_r(np.mean([o.values[p.code] for o in valid.values()]))
                            if valid
                            else NAN,
                            mean_chg=_r(mean),
                            sd_chg=_r(sd),
                            ci95_lo=_r(lo),
                            ci95_hi=_r(hi),
                            mean_pchg=_r(float(np.mean(pch))) if pch else NAN,
                            t_p=_quiet(sps.ttest_1samp, chg, 0.0) if len(chg) >= 2 else NAN,
                            wilcoxon_p=wilcoxon_p(chg),
                            n_responders=n_resp,
                            responder_share=_r(share),
                        )
                    )
                for a, b in arm_pairs(arms, config.reference_arm):
                    ca, cb = changes[a], changes[b]
                    diff, lo, hi = welch_ci(ca, cb)
                    comps.append(
                        ArmComparison(
                            param=p.code,
                            site=site,
                            window=w.name,
                            arm_a=a,
                            arm_b=b,
                            n_a=len(ca),
                            n_b=len(cb),
                            diff=_r(diff),
                            ci95_lo=_r(lo),
                            ci95_hi=_r(hi),
                            welch_p=_quiet(sps.ttest_ind, ca, cb, equal_var=False)
                            if len(ca) >= 2 and len(cb) >= 2
                            else NAN,
                            mannwhitney_p=_quiet(sps.mannwhitneyu, ca, cb, alternative="two-sided")
                            if ca and cb
                            else NAN,
                        )
                    )
    return out, comps
