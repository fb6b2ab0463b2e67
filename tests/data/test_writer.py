from __future__ import annotations

import os

import numpy as np
import pytest

from trichometry.data import DatasetWriter
from trichometry.errors import DataFormatError, OutputError


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_layout_and_byte_identical_rewrite(tmp_path, sample_factory):
    roots = []
    for k in range(2):
        root = tmp_path / f"ds{k}"
        with DatasetWriter(root, name="t", provenance={"seed": 1}) as w:
            w.add_sample(sample_factory("a", seed=1), split="train")
            w.add_subject("S001", {"visits": ["baseline"], "x": np.float32(1.5)})
        roots.append(root)
    files = _files(roots[0])
    assert files == [
        "annotations/a.json",
        "dataset.json",
        "images/a.png",
        "manifest.csv",
        "subjects/S001.json",
        "targets/a_diameter.tif",
        "targets/a_exit.png",
        "targets/a_instances.png",
        "targets/a_shaft.png",
    ]
    assert files == _files(roots[1])
    for f in files:
        assert (roots[0] / f).read_bytes() == (roots[1] / f).read_bytes(), f


def test_failure_inside_the_block_leaves_nothing(tmp_path, sample_factory):
    root = tmp_path / "ds"
    with pytest.raises(RuntimeError), DatasetWriter(root) as w:
        w.add_sample(sample_factory("a"))
        raise RuntimeError("crash mid-way")
    assert os.listdir(tmp_path) == []


def test_bad_samples_are_refused_and_nothing_stays(tmp_path, sample_factory):
    root = tmp_path / "ds"
    s = sample_factory("a")
    with pytest.raises(DataFormatError, match="already added"), DatasetWriter(root) as w:
        w.add_sample(s)
        w.add_sample(s)
    bad = sample_factory("b")
    bad.targets.exit_map[0, 0] = 7
    with pytest.raises(DataFormatError, match="only 0 and 1"), DatasetWriter(root) as w:
        w.add_sample(bad)
    bad = sample_factory("../evil")
    with pytest.raises(DataFormatError, match="invalid image_id"), DatasetWriter(root) as w:
        w.add_sample(bad)
    with pytest.raises(DataFormatError, match="at least one image"), DatasetWriter(root):
        pass
    assert os.listdir(tmp_path) == []


def test_existing_output_is_refused_unless_overwrite(tmp_path, sample_factory):
    root = tmp_path / "ds"
    root.mkdir()
    (root / "keep.txt").write_text("x")
    with pytest.raises(OutputError, match="already exists"), DatasetWriter(root) as w:
        w.add_sample(sample_factory("a"))
    assert (root / "keep.txt").exists()
    with DatasetWriter(root, overwrite=True) as w:
        w.add_sample(sample_factory("a"))
    assert not (root / "keep.txt").exists() and (root / "manifest.csv").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_parent_is_an_output_error(tmp_path, sample_factory):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        with pytest.raises(OutputError), DatasetWriter(parent / "ds") as w:
            w.add_sample(sample_factory("a"))
    finally:
        parent.chmod(0o700)
