"""The data-set source: a cohort written in the project's format reads back as subjects."""

from __future__ import annotations

import dataclasses

import pytest

from trichometry.data.cohort import write_cohort
from trichometry.errors import DataFormatError
from trichometry.evaluation.cohort import CohortConfig, _ranges, dataset_cohort
from trichometry.evaluation.config import DataConfig, EvaluateConfig
from trichometry.evaluation.run import evaluate
from trichometry.synth.longitudinal import VisitProtocol, iter_cohort

SMALL = CohortConfig(um_per_px=8.0, width=384, height=320, density_per_cm2=(260.0, 260.0))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("ds") / "cohort"
    subjects = iter_cohort(1, 5, ranges=_ranges(SMALL), protocol=VisitProtocol(visits=("baseline", "3m")))
    write_cohort(root, subjects, n_subjects=1, splits="test", photos_per_visit=2, progress=False)
    return root


def test_dataset_reads_back_as_subjects_with_target_truth(written):
    (sub,) = list(dataset_cohort(str(written), "test"))
    assert [v.day for v in sub.visits] == [0, 91] and all(len(v.photos) == 2 for v in sub.visits)
    assert set(sub.target) == {"baseline", "3m"}
    assert sub.visits[0].photos[0].targets is not None
    assert list(dataset_cohort(str(written), "train")) == []


def test_evaluate_on_a_dataset_split(written, tmp_path):
    cfg = dataclasses.replace(
        EvaluateConfig(), methods=["truth"], out_dir=str(tmp_path),
        data=DataConfig(source="dataset", root=str(written), split="test"),
    )  # fmt: skip
    res = evaluate(cfg)
    change = res["methods"]["truth"]["change"]["3m"]
    assert change["n_visits"] == 1 and change["matched_error_pp"]["mae"] == 0.0
    assert change["matched_error_vs_target_pp"]["mae"] == 0.0
    assert (tmp_path / "report.md").is_file()


def test_missing_dataset_is_refused(tmp_path):
    with pytest.raises(DataFormatError, match="does not exist"):
        list(dataset_cohort(str(tmp_path / "missing"), "test"))
