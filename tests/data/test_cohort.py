from __future__ import annotations

import pytest

from trichometry.data import Dataset
from trichometry.data.cohort import assign_splits, write_cohort
from trichometry.errors import ConfigError
from trichometry.synth import SceneRanges
from trichometry.synth.longitudinal import VisitProtocol, iter_cohort


def test_assign_splits_by_subject():
    s = assign_splits(20, seed=1, val_fraction=0.1, test_fraction=0.2)
    assert (s.count("train"), s.count("val"), s.count("test")) == (14, 2, 4)
    assert s == assign_splits(20, seed=1, val_fraction=0.1, test_fraction=0.2)
    assert s != assign_splits(20, seed=2, val_fraction=0.1, test_fraction=0.2)
    assert assign_splits(2, seed=0) == ["train", "train"]
    with pytest.raises(ConfigError):
        assign_splits(5, 0, val_fraction=-0.1)


def test_write_cohort_keeps_subjects_within_one_split(tmp_path):
    ranges = SceneRanges().with_overrides(width=64, height=48, um_per_px=8.0)
    proto = VisitProtocol(visits=("baseline", "2w"))
    splits = ["train", "test", "val"]
    rows = write_cohort(
        tmp_path / "c",
        iter_cohort(3, 2, ranges=ranges, protocol=proto),
        n_subjects=3,
        splits=splits,
        progress=False,
    )
    assert [r.split for r in rows] == ["train", "train", "test", "test", "val", "val"]
    ds = Dataset(tmp_path / "c")
    assert ds.info["splits"] == {"train": 2, "val": 2, "test": 2}
    with pytest.raises(ConfigError, match="splits for"):
        write_cohort(
            tmp_path / "d",
            iter_cohort(3, 2, ranges=ranges, protocol=proto),
            n_subjects=3,
            splits=["train"],
            progress=False,
        )
    with pytest.raises(ConfigError, match="expected 3 subjects"):
        write_cohort(
            tmp_path / "d", iter_cohort(2, 2, ranges=ranges, protocol=proto), n_subjects=3, progress=False
        )
    assert not (tmp_path / "d").exists()
