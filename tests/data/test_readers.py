from __future__ import annotations

import json

import numpy as np
import pytest

from trichometry.data import Dataset, DatasetWriter, iter_split, load_sample, read_manifest
from trichometry.data.format import dumps_json
from trichometry.errors import DataFormatError


def _write(root, samples, **kw):
    with DatasetWriter(root, name="t") as w:
        for i, s in enumerate(samples):
            w.add_sample(s, subject="S001", visit="baseline", split="train" if i % 2 == 0 else "val", **kw)
    return root


def test_round_trip_reproduces_truth_targets_and_image_exactly(tmp_path, sample):
    root = _write(tmp_path / "ds", [sample])
    back = load_sample(root, "img001", verify=True)
    assert np.array_equal(back.image, sample.image)
    for name in ("shaft_mask", "instance_ids", "exit_map", "diameter_um"):
        a, b = getattr(back.targets, name), getattr(sample.targets, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert dumps_json(back.truth.to_dict()) == dumps_json(sample.truth.to_dict())
    assert back.truth.count == 1 and back.truth.hairs[1].exit_xy == (-3.0, 12.0)
    row = read_manifest(root)[0]
    assert row.n_hairs == 1 and row.um_per_px == 2.8 and row.subject == "S001"
    assert row.density_per_cm2 == pytest.approx(1 / (48 * 32 * 2.8e-4**2))


def test_optional_overlay_mask_round_trips(tmp_path, sample_factory):
    root = _write(tmp_path / "ds", [sample_factory("a", overlay=True), sample_factory("b")])
    a, b = load_sample(root, "a"), load_sample(root, "b")
    assert np.array_equal(a.targets.overlay_mask, sample_factory("a", overlay=True).targets.overlay_mask)
    assert getattr(b.targets, "overlay_mask", None) is None
    rows = read_manifest(root)
    assert rows[0].overlay_mask == "targets/a_overlay.png" and rows[1].overlay_mask == ""


def test_dataset_splits_and_iteration(tmp_path, sample_factory):
    samples = [sample_factory(f"im{i}", seed=i) for i in range(3)]
    root = _write(tmp_path / "ds", samples)
    ds = Dataset(root)
    assert ds.ids("train") == ["im0", "im2"] and ds.ids("val") == ["im1"] and ds.ids("test") == []
    got = [s.truth.image_id for s in ds.iter_samples("train")]
    assert got == ["im0", "im2"]
    assert [s.truth.image_id for s in iter_split(root, None)] == ["im0", "im1", "im2"]
    assert ds.check() == 3
    assert ds.info["splits"] == {"train": 2, "val": 1, "test": 0}
    with pytest.raises(DataFormatError, match="unknown split"):
        ds.ids("training")
    with pytest.raises(DataFormatError, match="not in"):
        ds.sample("nope")


def test_missing_and_corrupt_files_raise_clear_errors(tmp_path, sample):
    root = _write(tmp_path / "ds", [sample])
    (root / "targets" / "img001_exit.png").unlink()
    with pytest.raises(DataFormatError, match=r"exit map .*missing"):
        load_sample(root, "img001")
    root = _write(tmp_path / "ds2", [sample])
    (root / "images" / "img001.png").write_bytes(b"not a png")
    with pytest.raises(DataFormatError, match="not a readable image"):
        load_sample(root, "img001")
    with pytest.raises(DataFormatError, match="SHA-256"):
        load_sample(root, "img001", verify=True)
    root = _write(tmp_path / "ds3", [sample])
    (root / "annotations" / "img001.json").write_text("{broken")
    with pytest.raises(DataFormatError, match="not valid JSON"):
        load_sample(root, "img001")
    root = _write(tmp_path / "ds4", [sample])
    with pytest.raises(DataFormatError, match="does not exist"):
        Dataset(tmp_path / "nothing")
    (root / "dataset.json").write_text(json.dumps({"format": "trichometry-dataset", "format_version": 99}))
    with pytest.raises(DataFormatError, match="format_version 99"):
        Dataset(root)


def test_annotation_disagreeing_with_manifest_is_refused(tmp_path, sample):
    root = _write(tmp_path / "ds", [sample])
    ann = root / "annotations" / "img001.json"
    d = json.loads(ann.read_text())
    d["count"] = 5
    ann.write_text(json.dumps(d))
    with pytest.raises(DataFormatError, match="'count' is 5"):
        load_sample(root, "img001")
    d["count"], d["width"] = 1, 99
    ann.write_text(json.dumps(d))
    with pytest.raises(DataFormatError, match="width is 99"):
        load_sample(root, "img001")


def test_target_with_wrong_shape_or_values_is_refused(tmp_path, sample):
    import cv2

    root = _write(tmp_path / "ds", [sample])
    cv2.imwrite(str(root / "targets" / "img001_shaft.png"), np.zeros((5, 5), np.uint8))
    with pytest.raises(DataFormatError, match="shape"):
        load_sample(root, "img001")
    cv2.imwrite(str(root / "targets" / "img001_shaft.png"), np.full((32, 48), 255, np.uint8))
    with pytest.raises(DataFormatError, match="only 0 and 1"):
        load_sample(root, "img001")


def test_manifest_path_escaping_the_folder_is_refused(tmp_path, sample):
    root = _write(tmp_path / "ds", [sample])
    text = (root / "manifest.csv").read_text().replace("images/img001.png", "../x/img001.png")
    (root / "manifest.csv").write_text(text)
    with pytest.raises(DataFormatError, match="leaves the data set folder"):
        load_sample(root, "img001")
