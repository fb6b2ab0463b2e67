from __future__ import annotations

import json

import pytest

from trichometry.errors import OutputError
from trichometry.evaluation.report import write_report
from trichometry.evaluation.run import summarise_photos, summarise_visits


def _results():
    photos = [{"image_id": "a", "true_count": 10, "pred_count": 9, "tp": 9, "fp": 0, "fn": 1,
               "thickness_errors_um": [1.0, -1.0], "dice": 0.8, "cl_dice": 0.9},
              {"image_id": "b", "true_count": 20, "pred_count": 22, "tp": 19, "fp": 3, "fn": 1,
               "thickness_errors_um": [2.0], "dice": None, "cl_dice": None}]  # fmt: skip
    visits = [
        {
            "subject": "s",
            "visit": "3m",
            "day": 91,
            "window": "3m",
            "registered": True,
            "true_change_pct": 5.0,
            "target_change_pct": 4.0,
            "matched_change_pct": 6.0,
            "matched_change_pct_low": 0.0,
            "matched_change_pct_high": 12.0,
            "independent_change_pct": 1.0,
            "true_thickness_change_um": 1.0,
            "matched_thickness_change_um": 1.5,
        },
        {
            "subject": "s",
            "visit": "6m",
            "day": 180,
            "window": "6m",
            "registered": False,
            "true_change_pct": 8.0,
            "target_change_pct": 8.0,
            "matched_change_pct": float("nan"),
            "independent_change_pct": float("nan"),
        },
    ]
    return photos, visits


def test_summaries_hand_computed():
    photos, visits = _results()
    s = summarise_photos(photos)
    assert s["detection"]["tp"] == 28 and s["count"]["mae"] == pytest.approx(1.5)
    assert s["thickness_error_um"]["mae"] == pytest.approx(4 / 3) and s["dice"] == pytest.approx(0.8)
    v = summarise_visits(visits, ["3m", "6m"])
    assert v["3m"]["matched_error_pp"]["bias"] == pytest.approx(1.0)
    assert v["3m"]["independent_error_pp"]["bias"] == pytest.approx(-4.0)
    assert v["3m"]["matched_error_vs_target_pp"]["bias"] == pytest.approx(2.0)
    assert v["3m"]["matched_interval_coverage"] == 1.0
    assert v["6m"]["registration_failures"] == 1 and v["6m"]["matched_error_pp"]["n"] == 0
    assert v["all"]["n_visits"] == 2


def test_write_report_files(tmp_path):
    photos, visits = _results()
    results = {
        "methods": {
            "truth": {
                "photos": summarise_photos(photos),
                "change": summarise_visits(visits, ["3m", "6m"]),
                "repeatability_density": {
                    "independent": {"mdc95_pct": 2.0},
                    "matched_overlap": {"mdc95_pct": 0.0},
                },
                "visits": visits,
                "photo_rows": photos,
            }
        },
        "cohort": {"source": "test"},
        "visit_combine": "consensus",
    }
    write_report(results, tmp_path / "rep", title="t", config={"a": 1})
    names = sorted(p.name for p in (tmp_path / "rep").iterdir())
    assert names == ["bland_altman_counts.png", "change_error.png", "report.md", "results.json"]
    data = json.loads((tmp_path / "rep" / "results.json").read_text())  # NaN became null
    assert data["methods"]["truth"]["visits"][1]["matched_change_pct"] is None
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "| truth | 3m | 1 | 0 |" in md
    assert "`visit_combine=consensus`" in md  # the report says how a visit's photos were combined
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        write_report(results, blocker, title="t", config={})
