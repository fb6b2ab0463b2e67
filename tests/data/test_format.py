"""The contract in data/README.md, exercised by writing a data set by hand (no writer)."""

from __future__ import annotations

import csv
import hashlib
import json

import cv2
import numpy as np
import pytest
import tifffile

from trichometry.data import Dataset
from trichometry.data.format import decode_tiff_float, dumps_json, encode_tiff_float, validate_id
from trichometry.data.manifest import COLUMNS
from trichometry.errors import DataFormatError


def _by_hand(root):
    """A one-image 'hairs' data set made with OpenCV, tifffile and the csv module only."""
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    (root / "targets").mkdir()
    h, w = 20, 30
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = 200  # red in RGB
    cv2.imwrite(str(root / "images" / "x1.png"), img[..., ::-1])  # OpenCV writes BGR
    shaft = np.zeros((h, w), np.uint8)
    shaft[5, 2:12] = 1
    cv2.imwrite(str(root / "targets" / "x1_shaft.png"), shaft)
    cv2.imwrite(str(root / "targets" / "x1_instances.png"), (shaft * 1).astype(np.uint16))
    exit_map = np.zeros((h, w), np.uint8)
    exit_map[5, 2] = 1
    cv2.imwrite(str(root / "targets" / "x1_exit.png"), exit_map)
    tifffile.imwrite(root / "targets" / "x1_diameter.tif", shaft.astype(np.float32) * 61.5)
    ann = {
        "annotation_type": "hairs",
        "image_id": "x1",
        "width": w,
        "height": h,
        "um_per_px": 4.0,
        "count": 1,
        "hairs": [
            {
                "hair_id": 1,
                "follicle_id": 1,
                "unit_id": 1,
                "exit_xy": [2.0, 5.0],
                "centreline": [[2.0, 5.0], [11.0, 5.0]],
                "diameter_um": 61.5,
                "tip_diameter_um": 61.5,
                "length_um": 36.0,
                "clipped": True,
                "pigment": 0.0,
            }
        ],
    }
    (root / "annotations" / "x1.json").write_text(json.dumps(ann))
    (root / "dataset.json").write_text(json.dumps({"format": "trichometry-dataset", "format_version": 1}))
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        image_id="x1",
        split="test",
        um_per_px="4.0",
        width=str(w),
        height=str(h),
        annotation_type="hairs",
        n_hairs="1",
        image="images/x1.png",
        image_sha256=hashlib.sha256((root / "images" / "x1.png").read_bytes()).hexdigest(),
        annotation="annotations/x1.json",
        shaft_mask="targets/x1_shaft.png",
        instance_ids="targets/x1_instances.png",
        exit_map="targets/x1_exit.png",
        diameter_map="targets/x1_diameter.tif",
    )
    with (root / "manifest.csv").open("w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=[*COLUMNS, "my_notes"])  # extra columns are allowed
        wr.writeheader()
        wr.writerow({**row, "my_notes": "hand-made"})
    return img, shaft


def test_a_hand_made_data_set_reads_as_documented(tmp_path):
    img, shaft = _by_hand(tmp_path / "ds")
    ds = Dataset(tmp_path / "ds", verify=True)
    s = ds.sample("x1")
    assert np.array_equal(s.image, img) and s.image[0, 0].tolist() == [200, 0, 0]
    assert np.array_equal(s.targets.shaft_mask, shaft)
    assert s.targets.instance_ids.dtype == np.int32 and s.targets.instance_ids.max() == 1
    assert s.targets.diameter_um.dtype == np.float32 and s.targets.diameter_um.max() == np.float32(61.5)
    assert s.truth.count == 1 and s.truth.density_per_cm2 == pytest.approx(1 / (30 * 20 * 4e-4**2))
    assert ds.check() == 1


def test_hand_made_mistakes_are_named(tmp_path):
    _by_hand(tmp_path / "ds")
    root = tmp_path / "ds"
    cv2.imwrite(str(root / "targets" / "x1_instances.png"), np.zeros((20, 30), np.uint8))  # 8-bit, not 16
    with pytest.raises(DataFormatError, match="uint16"):
        Dataset(root).sample("x1")
    tifffile.imwrite(root / "targets" / "x1_diameter.tif", np.zeros((20, 30), np.float64))
    with pytest.raises(DataFormatError, match="float32"):
        decode_tiff_float((root / "targets" / "x1_diameter.tif").read_bytes(), "x")
    (root / "dataset.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(DataFormatError, match="does not describe"):
        Dataset(root)
    (root / "dataset.json").unlink()
    with pytest.raises(DataFormatError, match=r"dataset.json is missing"):
        Dataset(root)


def test_encoders_are_deterministic_and_exact():
    a = np.random.default_rng(0).random((17, 23)).astype(np.float32)
    assert encode_tiff_float(a) == encode_tiff_float(a.copy())
    assert np.array_equal(decode_tiff_float(encode_tiff_float(a), "x"), a)
    assert dumps_json({"b": 1, "a": np.float32(0.5)}) == '{\n  "a": 0.5,\n  "b": 1\n}\n'


@pytest.mark.parametrize("bad", ["", "../x", "a/b", ".hidden", "x" * 129, "a..b", "é"])
def test_ids_that_are_not_safe_file_names_are_refused(bad):
    with pytest.raises(DataFormatError):
        validate_id(bad)
