from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from trichometry.reports import RecordListSource, ReportConfig, build_report
from trichometry.reports.stats import arm_pairs, mean_ci, welch_ci, wilcoxon_p

TS = "2026-11-21T08:00:00Z"
WINDOW_OF = {"week2": "2w", "month1": "1m", "month3": "3m", "month6": "6m"}


def test_mean_ci_by_hand():
    mean, sd, lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (mean, sd) == (2.5, pytest.approx(1.2909944))
    half = 3.182446305 * 1.2909944 / 2  # t(0.975, 3) * sd / sqrt(4)
    assert (lo, hi) == (pytest.approx(2.5 - half), pytest.approx(2.5 + half))
    assert math.isnan(mean_ci([5.0])[2]) and math.isnan(mean_ci([])[0])


def test_welch_ci_matches_scipy():
    a, b = [3.0, 5.0, 4.0, 8.0, 6.0], [1.0, 2.0, 0.5, 2.5]
    diff, lo, hi = welch_ci(a, b)
    ci = sps.ttest_ind(a, b, equal_var=False).confidence_interval()
    assert diff == pytest.approx(np.mean(a) - np.mean(b))
    assert (lo, hi) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_wilcoxon_is_exact_without_ties_and_deterministic_with_them():
    d = [1.5, -0.5, 2.0, 3.0, 4.5, 0.0]
    assert wilcoxon_p(d) == pytest.approx(sps.wilcoxon([1.5, -0.5, 2.0, 3.0, 4.5], method="exact").pvalue)
    tied = [10.0, 10.0, -10.0, 20.0, 20.0, 30.0, 0.0] * 3
    p = wilcoxon_p(tied)
    assert p == wilcoxon_p(tied) and 0 < p < 0.05
    assert math.isnan(wilcoxon_p([0.0, 0.0]))


def test_reference_arm_is_subtracted():
    assert arm_pairs(["control", "treated"]) == [("treated", "control")]
    assert arm_pairs(["a", "b", "placebo"]) == [("a", "b"), ("a", "placebo"), ("b", "placebo")]
    assert arm_pairs(["a", "b"], reference="a") == [("b", "a")]


@pytest.mark.parametrize("noise_sd", [0.0, 1.5])
def test_per_arm_mean_change_matches_the_truth(cohort_factory, noise_sd):
    """Acceptance: on a cohort with known change the report recovers it within the measurement error."""
    n = 10
    records, truth = cohort_factory(n_per_arm=n, seed=3, noise_sd=noise_sd, images_per_visit=2)
    rep = build_report(RecordListSource(records), generated_at=TS)
    # two images per visit at each end of the change: SE of a subject's change = noise * 1/area
    se = noise_sd / 0.1 / math.sqrt(n)  # sqrt(2 * noise^2 / 2) per subject, over n subjects
    for arm in ("treated", "control"):
        for visit, window in WINDOW_OF.items():
            s = rep.stat("DENS", arm, window)
            assert s.n == n and s.n_missing == 0
            assert s.mean_chg == pytest.approx(truth[arm][visit], abs=4 * se + 1e-6)
    if noise_sd == 0:  # exact: every statistic is a plain function of the known counts
        s = rep.stat("DENS", "treated", "6m")
        true_changes = [o.chg["DENS"] for o in rep.observations if o.arm == "treated" and o.visit == "month6"]
        assert s.sd_chg == pytest.approx(np.std(true_changes, ddof=1), abs=1e-5)
        assert s.t_p == pytest.approx(sps.ttest_1samp(true_changes, 0).pvalue)
        assert s.wilcoxon_p == pytest.approx(sps.wilcoxon(true_changes, method="asymptotic").pvalue)
        assert s.responder_share == 1.0  # +20 % true change, threshold +10 %
        assert rep.stat("DENS", "control", "6m").n_responders == 0
    treated = rep.stat("DENS", "treated", "6m")
    assert treated.ci95_lo > 0 and treated.t_p < 0.01
    comp = next(c for c in rep.comparisons if c.param == "DENS" and c.window == "6m")
    assert (comp.arm_a, comp.arm_b) == ("treated", "control")
    assert comp.diff == pytest.approx(
        truth["treated"]["month6"] - truth["control"]["month6"], abs=6 * se + 1e-6
    )
    assert comp.welch_p < 0.01 and comp.mannwhitney_p < 0.01


def test_responder_threshold_is_configurable(cohort_factory):
    records, _ = cohort_factory(n_per_arm=6, seed=1)
    lo = build_report(RecordListSource(records), ReportConfig(responder_threshold_pct=10), generated_at=TS)
    hi = build_report(RecordListSource(records), ReportConfig(responder_threshold_pct=25), generated_at=TS)
    assert lo.stat("DENS", "treated", "6m").responder_share == 1.0
    assert hi.stat("DENS", "treated", "6m").responder_share == 0.0  # true change is +20 %
    assert lo.stat("HAIRCNT", "treated", "6m").n_responders is None  # rule applies to DENS only
    rows = [r for r in lo.rows if r["PARAMCD"] == "DENS" and r["AVISIT"] == "6m"]
    assert {r["CRIT1FL"] for r in rows if r["ARM"] == "treated"} == {"Y"}
    assert rows[0]["CRIT1"] == "DENS PCHG >= 10%"


def test_undefined_statistics_are_nan_not_errors(cohort_factory):
    records, _ = cohort_factory(n_per_arm=1)
    rep = build_report(RecordListSource(records), generated_at=TS)
    s = rep.stat("DENS", "control", "6m")  # one subject, change exactly 0
    assert s.n == 1 and s.mean_chg == 0.0
    assert math.isnan(s.sd_chg) and math.isnan(s.ci95_lo) and math.isnan(s.t_p)
    c = next(c for c in rep.comparisons if c.param == "DENS" and c.window == "6m")
    assert math.isnan(c.welch_p) and math.isnan(c.ci95_lo)


def test_baseline_by_arm_by_hand(cohort_factory):
    records, _ = cohort_factory(n_per_arm=5, seed=4)
    rep = build_report(RecordListSource(records), generated_at=TS)
    base = {(o.arm, o.subject): o.values["HAIRCNT"] for o in rep.observations if o.is_baseline}
    treated = [v for (arm, _), v in base.items() if arm == "treated"]
    control = [v for (arm, _), v in base.items() if arm == "control"]
    b = next(b for b in rep.baseline if b.param == "HAIRCNT" and b.arm == "treated")
    assert (b.n, b.mean, b.median) == (5, pytest.approx(np.mean(treated)), pytest.approx(np.median(treated)))
    assert b.sd == pytest.approx(np.std(treated, ddof=1), abs=1e-6) and (b.min, b.max) == (
        min(treated),
        max(treated),
    )
    assert b.versus == "control"
    assert b.welch_p == pytest.approx(sps.ttest_ind(treated, control, equal_var=False).pvalue)
    ref = next(b for b in rep.baseline if b.param == "HAIRCNT" and b.arm == "control")
    assert ref.versus == "" and math.isnan(ref.welch_p)
