from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from trichometry.errors import ConfigError, DataFormatError
from trichometry.reports import ModelInfo, RecordListSource, ReportConfig, build_report

TS = "2026-11-21T08:00:00Z"


def _report(records, **cfg):
    return build_report(RecordListSource(records), ReportConfig(**cfg), generated_at=TS)


def test_change_from_baseline_by_hand(cohort_factory):
    records, _ = cohort_factory(n_per_arm=2)
    rep = _report(records)
    obs = {(o.subject, o.visit): o for o in rep.observations}
    base, m6 = obs[("T000", "baseline")], obs[("T000", "month6")]
    assert base.is_baseline and base.analysed and base.window is None
    assert m6.window.name == "6m" and m6.analysed
    assert m6.chg["DENS"] == pytest.approx(m6.values["DENS"] - base.values["DENS"])
    assert m6.pchg["DENS"] == pytest.approx(100 * m6.chg["DENS"] / base.values["DENS"], abs=1e-5)
    assert m6.base["HAIRCNT"] == base.values["HAIRCNT"]


def test_several_images_of_a_visit_are_averaged_and_their_spread_kept(cohort_factory, measure_dict):
    records, _ = cohort_factory(n_per_arm=1)
    base = next(r for r in records if r.subject == "T000" and r.visit == "baseline")
    widths = np.full(40, 50.0)
    extra = [
        dataclasses.replace(base, image_id=f"extra{k}", measurement=measure_dict(n, widths[:n]))
        for k, n in enumerate((10, 30))
    ]
    rep = _report([*records, *extra])
    o = next(o for o in rep.observations if o.subject == "T000" and o.is_baseline)
    counts = [base.measurement["hair_count"], 10, 30]
    assert len(o.images) == 3
    assert o.values["HAIRCNT"] == pytest.approx(np.mean(counts))
    assert o.spread["HAIRCNT"] == pytest.approx(np.std(counts, ddof=1), abs=1e-6)
    assert o.n_valid["HAIRCNT"] == 3
    row = next(
        r for r in rep.rows if r["USUBJID"] == "T000" and r["ABLFL"] == "Y" and r["PARAMCD"] == "HAIRCNT"
    )
    assert row["NIMG"] == 3 and row["IMGID"].count(";") == 2


def test_days_from_dates_when_no_days_are_given(cohort_factory):
    records, _ = cohort_factory(n_per_arm=1)
    start = dt.date(2026, 1, 5)
    dated = [
        dataclasses.replace(
            r, days_since_baseline=None, date=start + dt.timedelta(days=r.days_since_baseline)
        )
        for r in records
    ]
    rep = _report(dated)
    assert sorted({o.day for o in rep.observations}) == [0, 14, 30, 91, 182]
    row = next(r for r in rep.rows if r["VISIT"] == "month3")
    assert row["ADY"] == 92 and row["ADT"] == "2026-04-06"


def test_visit_outside_windows_is_kept_but_not_analysed_and_the_window_is_missing(cohort_factory):
    records, _ = cohort_factory(n_per_arm=2)
    moved = [
        dataclasses.replace(r, days_since_baseline=60) if r.subject == "C000" and r.visit == "month3" else r
        for r in records
    ]
    rep = _report(moved)
    o = next(o for o in rep.observations if o.subject == "C000" and o.visit == "month3")
    assert o.window is None and not o.analysed
    assert [(m.subject, m.window.name) for m in rep.missing] == [("C000", "3m")]
    s = rep.stat("DENS", "control", "3m")
    assert (s.n, s.n_missing, s.missing_subjects) == (1, 1, ("C000",))
    assert any("not analysed" in w for w in rep.warnings)
    miss = [r for r in rep.rows if r["MISSFL"] == "Y"]
    assert len(miss) == 6 and all(r["AVAL"] is None and r["AVISIT"] == "3m" for r in miss)
    unsched = [r for r in rep.rows if r["VISIT"] == "month3" and r["USUBJID"] == "C000"]
    assert all(r["AVISIT"] == "Unscheduled" and r["ANL01FL"] == "" for r in unsched)


def test_of_two_visits_in_one_window_the_closest_to_target_is_analysed(cohort_factory):
    records, _ = cohort_factory(n_per_arm=1)
    extra = [
        dataclasses.replace(r, visit="month3b", days_since_baseline=100, image_id=r.image_id + "b")
        for r in records
        if r.visit == "month3"
    ]
    rep = _report([*records, *extra])
    chosen = {o.visit: o.analysed for o in rep.observations if o.subject == "T000"}
    assert chosen["month3"] and not chosen["month3b"]


def test_mixed_models_are_flagged(cohort_factory):
    records, _ = cohort_factory(n_per_arm=1)
    other = ModelInfo("unet-large", "0.2.0", "cd" * 32)
    recs = [
        dataclasses.replace(r, model=other) if r.visit == "month6" and r.subject == "T000" else r
        for r in records
    ]
    rep = _report(recs)
    assert any("T000" in w and "different models" in w for w in rep.warnings)
    assert len(rep.provenance["models"]) == 2


def test_subject_without_baseline_is_refused_by_name(cohort_factory):
    records, _ = cohort_factory(n_per_arm=2)
    recs = [r for r in records if not (r.subject == "T001" and r.visit == "baseline")]
    with pytest.raises(DataFormatError, match=r"no baseline visit \(day 0\) for subject T001 \(vertex\)"):
        _report(recs)


def test_empty_cohort_is_refused():
    with pytest.raises(DataFormatError, match="cohort is empty"):
        _report([])


def test_overlapping_windows_are_refused_in_the_config():
    from trichometry.reports.windows import parse_window

    with pytest.raises(ConfigError, match="overlap"):
        ReportConfig(windows=(parse_window("1m:30:10"), parse_window("6w:42:5")))


def test_other_bad_inputs_say_what_to_fix(cohort_factory):
    records, _ = cohort_factory(n_per_arm=1)
    with pytest.raises(DataFormatError, match="more than one arm"):
        _report([dataclasses.replace(records[0], arm="other"), *records[1:]])
    with pytest.raises(DataFormatError, match="appear more than once"):
        _report([*records, records[3]])
    with pytest.raises(DataFormatError, match="has no site"):
        _report([dataclasses.replace(records[0], site=" "), *records[1:]])
    with pytest.raises(DataFormatError, match="neither days_since_baseline nor a date"):
        _report([dataclasses.replace(r, days_since_baseline=None) for r in records])
    with pytest.raises(DataFormatError, match="disagree"):
        _report([*records, dataclasses.replace(records[1], image_id="x", days_since_baseline=15)])
    with pytest.raises(ConfigError, match="reference arm 'placebo'"):
        _report(records, reference_arm="placebo")
    with pytest.raises(ConfigError, match="responder parameter"):
        ReportConfig(responder_param="NOPE")


def test_missing_per_hair_widths_make_a_parameter_missing_not_zero(cohort_factory):
    records, _ = cohort_factory(n_per_arm=2)
    recs = [
        dataclasses.replace(r, measurement={k: v for k, v in r.measurement.items() if k != "hairs"})
        if r.subject == "T000" and r.visit == "month6"
        else r
        for r in records
    ]
    rep = _report(recs)
    s = rep.stat("NVDENS", "treated", "6m")
    assert s.n == 1 and s.missing_subjects == ("T000",)
    assert rep.stat("DENS", "treated", "6m").n == 2
    row = next(
        r for r in rep.rows if r["USUBJID"] == "T000" and r["VISIT"] == "month6" and r["PARAMCD"] == "NVDENS"
    )
    assert row["AVAL"] is None and row["CHG"] is None and row["NIMG"] == 0
    assert not math.isnan(rep.stat("NVDENS", "treated", "3m").mean_chg)


def test_quality_rejected_image_gives_no_numbers_and_a_warning(cohort_factory):
    records, _ = cohort_factory(n_per_arm=2)
    rejected = {"status": "rejected", "hair_count": None, "density_per_cm2": None, "hairs": []}
    recs = [
        dataclasses.replace(r, measurement=rejected) if r.image_id == "C001_month6_0" else r for r in records
    ]
    rep = _report(recs)
    assert any("rejected by quality control" in w and "C001_month6_0" in w for w in rep.warnings)
    s = rep.stat("DENS", "control", "6m")
    assert s.n == 1 and s.missing_subjects == ("C001",)


def test_two_target_sites_are_kept_apart(cohort_factory):
    records, _ = cohort_factory(n_per_arm=2)
    frontal = [dataclasses.replace(r, site="frontal", image_id=r.image_id + "_f") for r in records]
    rep = _report([*records, *frontal])
    assert {s.site for s in rep.stats} == {"vertex", "frontal"}
    with pytest.raises(KeyError):
        rep.stat("DENS", "treated", "6m")  # ambiguous without a site
    a, b = rep.stat("DENS", "treated", "6m", "vertex"), rep.stat("DENS", "treated", "6m", "frontal")
    assert a.n == b.n == 2 and a.mean_chg == b.mean_chg
    assert {(c.site, c.window) for c in rep.comparisons if c.param == "DENS"} == {
        (site, w) for site in ("vertex", "frontal") for w in ("2w", "1m", "3m", "6m")
    }
