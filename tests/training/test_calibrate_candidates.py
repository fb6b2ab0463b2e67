from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from trichometry.inference.candidates import CandidatePredictor
from trichometry.models import create_model, load_checkpoint, model_kwargs, save_checkpoint
from trichometry.training.calibrate_candidates import (
    GRID,
    ORIENTS,
    Item,
    calibrate_candidates,
    mape,
    objective,
)

TINY = {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1, 1], "decoder_channels": 8}


def test_threshold_objective_by_hand() -> None:
    a = Item(scores=np.array([0.9, 0.5, 0.3]), n_true=2)
    b = Item(scores=np.array([0.8, 0.2]), n_true=1)
    assert a.count(0.4) == 2 and b.count(0.4) == 1
    assert mape([a, b], 0.4) == 0.0
    assert mape([a, b], 0.25) == pytest.approx(100 * (0.5 + 0.0) / 2)
    assert objective([[a], [b]], 0.6) == pytest.approx((50.0 + 0.0) / 2)
    assert objective([[a], [b]], 0.6, [1.0, 3.0]) == pytest.approx((50.0 + 0.0) / 4)
    assert objective([[a], [b]], 0.6, [1.0, 0.0]) == pytest.approx(50.0)


def _voc(root: Path, n: int) -> Path:
    for sub in ("images", "annotations", "splits"):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    ids = [f"p{i:02d}" for i in range(n)]
    for i in ids:
        Image.fromarray(rng.integers(120, 200, (96, 128, 3), dtype=np.uint8)).save(
            root / "images" / f"{i}.jpg"
        )
        (root / "annotations" / f"{i}.xml").write_text(
            "<annotation><size><width>128</width><height>96</height><depth>3</depth></size>"
            "<object><class>premium</class><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>40</xmax>"
            "<ymax>50</ymax></bndbox></object></annotation>"
        )
    (root / "splits" / "train.txt").write_text("\n".join(ids) + "\n")
    (root / "splits" / "val.txt").write_text("")
    return root


def test_calibration_writes_a_shippable_checkpoint(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("frame_s", **TINY).eval()
    src = tmp_path / "src.pt"
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sha = save_checkpoint(
        src, model, model_name="frame_s", model_kwargs=model_kwargs("frame_s", **TINY), optimizer=opt
    )
    dst = tmp_path / "dst.pt"
    marks = tmp_path / "roots.csv"
    marks.write_text("image_id,box_index,root_x,root_y,tip_x,tip_y,cue\np00,0,10,10,40,50,exit\n")
    post = calibrate_candidates(
        src, dst, _voc(tmp_path / "voc", 20), scenes=2, size=(96, 96), device="cpu", root_marks=marks
    )
    ckpt = load_checkpoint(dst)
    assert ckpt["weights_sha256"] == sha and "optimizer" not in ckpt
    assert ckpt["postprocessing"] == post
    assert post["centre_threshold_raw"] in GRID and post["orient"] in ORIENTS
    assert post["tta"] in ("none", "flips")
    assert post["calibration"]["root_marks"]["file"] == str(marks)
    assert all(post["calibration"]["root_marks"][o]["marked"] == 1 for o in ORIENTS)  # p00 is a tune id
    assert post["calibration"]["tune_photos"]["images"] == 2  # ids 0 and 10 of 20: never the fitted ones
    p = CandidatePredictor(dst, device="cpu")
    assert p.threshold_raw == post["centre_threshold_raw"] and p.tta == post["tta"]
