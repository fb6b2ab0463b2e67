"""Root pseudo-labels for box data: which end of a box is the exit point."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trichometry.errors import ConfigError, DataFormatError
from trichometry.training.pseudolabel import FORMAT, RootRule, box_ends, choose_roots, describe, load_roots

H, W = 120, 160
RULE = RootRule(inset_px=3)


def _hair(shaft: np.ndarray, a, b, width: float = 3.0) -> None:
    """Paint a straight shaft from ``a`` to ``b`` into ``shaft``."""
    yy, xx = np.mgrid[0:H, 0:W]
    a, b = np.asarray(a, float), np.asarray(b, float)
    v = b - a
    t = np.clip(((xx - a[0]) * v[0] + (yy - a[1]) * v[1]) / (v @ v), 0, 1)
    d = np.hypot(xx - (a[0] + t * v[0]), yy - (a[1] + t * v[1]))
    shaft[d <= width] = 1.0


def _blob(prob: np.ndarray, xy, value: float) -> None:
    yy, xx = np.mgrid[0:H, 0:W]
    prob[:] = np.maximum(prob, value * np.exp(-((xx - xy[0]) ** 2 + (yy - xy[1]) ** 2) / 8.0))


def _skin(blue_at=None) -> np.ndarray:
    """Beige skin, bluish in a disc around ``blue_at`` (the shaft under the skin)."""
    img = np.zeros((H, W, 3), np.uint8)
    img[:] = (200, 170, 150)
    if blue_at is not None:
        yy, xx = np.mgrid[0:H, 0:W]
        img[(xx - blue_at[0]) ** 2 + (yy - blue_at[1]) ** 2 <= 15**2] = (150, 160, 200)
    return img


def test_the_diagonal_with_the_shaft_gives_the_ends() -> None:
    shaft = np.zeros((H, W), np.float32)
    _hair(shaft, (30, 80), (70, 40))  # along the anti-diagonal of the box
    a, b = box_ends(np.array([30, 40, 70, 80]), shaft, inset_px=3)
    assert {tuple(np.round(a)), tuple(np.round(b))} == {(67.0, 43.0), (33.0, 77.0)}


def test_the_end_with_the_exit_peak_is_the_root_and_the_skin_beyond_may_veto() -> None:
    shaft = np.zeros((H, W), np.float32)
    exit_prob = np.zeros((H, W), np.float32)
    _hair(shaft, (40, 40), (90, 90))
    _blob(exit_prob, (43, 43), 0.8)
    box = np.array([[40, 40, 90, 90]])
    found, how = choose_roots(box, exit_prob, shaft, None, RULE)
    assert how == ["model"]
    root, tip = found[0]
    assert np.allclose(root, (43, 43)) and np.allclose(tip, (87, 87))
    # bluish skin past the root end agrees; past the tip it vetoes
    assert choose_roots(box, exit_prob, shaft, _skin(blue_at=(30, 30)), RULE)[1] == ["model"]
    assert choose_roots(box, exit_prob, shaft, _skin(blue_at=(100, 100)), RULE)[1] == ["vetoed_model"]
    # two equal peaks: unsure
    _blob(exit_prob, (87, 87), 0.8)
    assert choose_roots(box, exit_prob, shaft, None, RULE) == ([None], ["unsure"])


def test_unsure_boxes_follow_the_shared_direction() -> None:
    shaft = np.zeros((H, W), np.float32)
    exit_prob = np.zeros((H, W), np.float32)
    boxes = []
    for k, y in enumerate((10, 35, 60, 85)):  # hairs pointing right, roots on the left
        _hair(shaft, (10, y), (50, y + 10))
        boxes.append([10, y, 50, y + 10])
        if k < 3:
            _blob(exit_prob, (13, y + 3), 0.9)
    found, how = choose_roots(np.array(boxes, float), exit_prob, shaft, None, RULE)
    assert how == ["model", "model", "model", "direction"]
    assert found[3][0][0] < found[3][1][0]  # root on the left, as the others
    # with fewer confident boxes than the rule asks for, it stays unsure
    strict = RootRule(inset_px=3, min_confident=4)
    _, how = choose_roots(np.array(boxes, float), exit_prob, shaft, None, strict)
    assert how[3] == "unsure"


def _write(path, **over):
    doc = {"format": FORMAT, "version": 1, "um_per_px": 2.8, "model": {"name": "m"}, "tally": {},
           "roots": {"a": [[1, 2, 3, 4], None]}}  # fmt: skip
    doc.update(over)
    path.write_text(json.dumps(doc))
    return path


def test_label_files_are_checked(tmp_path) -> None:
    good = _write(tmp_path / "r.json")
    assert load_roots(good, 2.8) == {"a": [[1, 2, 3, 4], None]}
    assert describe(good)["model"] == {"name": "m"} and len(describe(good)["sha256"]) == 64
    with pytest.raises(ConfigError, match="does not exist"):
        load_roots(tmp_path / "missing.json", 2.8)
    with pytest.raises(ConfigError, match="um/px"):
        load_roots(good, 4.0)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DataFormatError, match="readable JSON"):
        load_roots(tmp_path / "bad.json", 2.8)
    with pytest.raises(DataFormatError, match="version 1"):
        load_roots(_write(tmp_path / "v2.json", version=2), 2.8)
    with pytest.raises(DataFormatError, match="x_root"):
        load_roots(_write(tmp_path / "short.json", roots={"a": [[1, 2]]}), 2.8)


def test_the_command_labels_a_box_folder_and_training_can_read_it(tmp_path) -> None:
    from PIL import Image

    from trichometry.models import create_model, model_kwargs, save_checkpoint
    from trichometry.training.config import AugmentationConfig, DataConfig
    from trichometry.training.datasets import BoxDataset
    from trichometry.training.pseudolabel import main
    from trichometry.training.transforms import build_transform

    voc = tmp_path / "voc"
    for sub in ("images", "annotations", "splits"):
        (voc / sub).mkdir(parents=True)
    img = np.full((96, 128, 3), (200, 170, 150), np.uint8)
    img[40:44, 20:80] = 40  # one dark horizontal hair
    Image.fromarray(img).save(voc / "images" / "a1.png")
    (voc / "annotations" / "a1.xml").write_text(
        "<annotation><size><width>128</width><height>96</height></size><object><class>single</class>"
        "<bndbox><xmin>20</xmin><ymin>38</ymin><xmax>80</xmax><ymax>46</ymax></bndbox></object></annotation>"
    )
    (voc / "splits" / "train.txt").write_text("a1\n")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    save_checkpoint(
        tmp_path / "m.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    out = tmp_path / "roots.json"
    main([str(tmp_path / "m.pt"), str(voc), "--split", "train", "--out", str(out), "--device", "cpu"])
    doc = json.loads(out.read_text())
    assert doc["format"] == FORMAT and len(doc["roots"]["a1"]) == 1 and sum(doc["tally"].values()) == 1
    assert doc["model"]["name"] == "tiny" and len(doc["model"]["sha256"]) == 64
    cfg = DataConfig(fdu_root=str(voc), fdu_roots=str(out), crop_px=64, fdu_border_ignore_px=4)
    item = BoxDataset(cfg, "train", build_transform(AugmentationConfig(), 64))[0]
    assert item["image"].shape == (3, 64, 64)
