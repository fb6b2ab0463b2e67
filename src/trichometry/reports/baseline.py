"""Baseline characteristics per arm: are the arms comparable before treatment?

For every parameter x target site x arm: n, mean, SD, median, min and max of the baseline
values, and (with two or more arms) a Welch t-test and a Mann-Whitney U test of the
difference at baseline against the reference arm.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from trichometry.reports.engine import ReportConfig, VisitObservation
from trichometry.reports.parameters import PARAMETERS
from trichometry.reports.stats import arm_pairs, reference_arm_of

NAN = math.nan


@dataclass(frozen=True)
class BaselineStats:
    """Baseline values of one parameter in one arm and site.

    ``versus``, ``welch_p`` and ``mannwhitney_p`` compare this arm with the reference
    arm (empty / NaN for the reference arm itself and single-arm cohorts).
    """

    param: str
    site: str
    arm: str
    n: int
    mean: float
    sd: float
    median: float
    min: float
    max: float
    versus: str
    welch_p: float
    mannwhitney_p: float


def _r(x: float) -> float:
    return round(float(x), 6) if math.isfinite(x) else NAN


def _p(fn, a: Sequence[float], b: Sequence[float], **kw) -> float:
    if len(a) < 2 or len(b) < 2:
        return NAN
    with np.errstate(all="ignore"):
        try:
            p = float(fn(a, b, **kw).pvalue)
        except ValueError:
            return NAN
    return p if math.isfinite(p) else NAN


def baseline_stats(obs: Sequence[VisitObservation], config: ReportConfig) -> list[BaselineStats]:
    """Baseline summary per parameter x site x arm (values missing at baseline are left out of n)."""
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for o in obs:
        if o.is_baseline:
            for p in PARAMETERS:
                if math.isfinite(o.values[p.code]):
                    values[(p.code, o.site, o.arm)].append(o.values[p.code])
    cells = sorted({(o.site, o.arm) for o in obs if o.is_baseline})
    out: list[BaselineStats] = []
    for p in PARAMETERS:
        for site in sorted({s for s, _ in cells}):
            arms = [a for s, a in cells if s == site]
            ref_arm = reference_arm_of(arms, config.reference_arm)
            if ref_arm is not None:
                against = {a: ref_arm for a in arms if a != ref_arm}
            else:  # two arms without a named reference: compare them; more: no single reference
                against = dict(arm_pairs(arms)) if len(arms) == 2 else {}
            for arm in arms:
                x = np.asarray(values.get((p.code, site, arm), []), dtype=float)
                ref = against.get(arm, "")
                y = values.get((p.code, site, ref), []) if ref else []
                out.append(
                    BaselineStats(
                        param=p.code,
                        site=site,
                        arm=arm,
                        n=int(x.size),
                        mean=_r(x.mean()) if x.size else NAN,
                        sd=_r(x.std(ddof=1)) if x.size > 1 else NAN,
                        median=_r(np.median(x)) if x.size else NAN,
                        min=_r(x.min()) if x.size else NAN,
                        max=_r(x.max()) if x.size else NAN,
                        versus=ref,
                        welch_p=_p(sps.ttest_ind, list(x), y, equal_var=False) if ref else NAN,
                        mannwhitney_p=_p(sps.mannwhitneyu, list(x), y, alternative="two-sided")
                        if ref
                        else NAN,
                    )
                )
    return out
