from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from trichometry.inference.prediction import Prediction
from trichometry.inference.predictor import Predictor
from trichometry.measure import measure
from trichometry.models import create_model, load_checkpoint, model_kwargs, save_checkpoint
from trichometry.training.calibrate import calibrate


def test_calibration_stores_a_monotone_shift_and_keeps_weights(tmp_path: Path) -> None:
    pytest.importorskip("trichometry.synth")
    torch.manual_seed(0)
    opt_model = create_model("tiny")
    opt = torch.optim.AdamW(opt_model.parameters())
    save_checkpoint(
        tmp_path / "a.pt", opt_model, model_name="tiny", model_kwargs=model_kwargs("tiny"), optimizer=opt
    )
    post = calibrate(tmp_path / "a.pt", tmp_path / "b.pt", scenes=1, device="cpu", size=(64, 48))
    a, b = load_checkpoint(tmp_path / "a.pt"), load_checkpoint(tmp_path / "b.pt")
    assert a["weights_sha256"] == b["weights_sha256"] and "optimizer" not in b
    t = post["exit_threshold_raw"]
    assert 0 < t < 1 and b["postprocessing"]["exit_threshold"] == 0.3
    img = np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8)
    p = Predictor(tmp_path / "b.pt", device="cpu", tile_px=64)
    raw, cal = p.predict(img, 3.0, calibrated=False).exit_prob, p.predict(img, 3.0).exit_prob
    # the shift maps the raw threshold onto 0.3 and keeps the order of values
    order = np.argsort(raw.ravel())
    assert np.all(np.diff(cal.ravel()[order]) >= -1e-6)
    i = np.argmin(np.abs(raw - t))
    if abs(raw.flat[i] - t) < 0.01:
        assert abs(cal.flat[i] - 0.3) < 0.03
    assert ("exit_logit_shift" in p.predict(img, 3.0).source) == (post["exit_logit_shift"] != 0)
    err = post["diameter_map_rel_error"]  # the diameter head's precision, for the engine
    assert err is None or err >= 0
    assert p.predict(img, 3.0).source.get("diameter_map_rel_error") == err


def test_calibrated_separation_reaches_the_measurement_engine(tmp_path: Path) -> None:
    pytest.importorskip("trichometry.synth")
    from trichometry.inference.prediction import Prediction
    from trichometry.measure import MeasureConfig, measure
    from trichometry.training.calibrate import SEPARATIONS_UM

    torch.manual_seed(0)
    save_checkpoint(
        tmp_path / "a.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    post = calibrate(tmp_path / "a.pt", tmp_path / "b.pt", scenes=1, device="cpu", size=(64, 48))
    assert post["exit_min_distance_um"] in SEPARATIONS_UM
    # the Predictor states the separation in the image's own pixels
    ckpt = load_checkpoint(tmp_path / "b.pt")
    ckpt["postprocessing"]["exit_min_distance_um"] = 20.0
    torch.save(ckpt, tmp_path / "c.pt")
    img = np.full((48, 64, 3), 128, np.uint8)
    src = Predictor(tmp_path / "c.pt", device="cpu", tile_px=64).predict(img, 4.0).source
    assert src["exit_min_distance_px"] == 5.0
    # two exit peaks 4 px apart: one hair under that separation, two with an explicit 2 px
    exit_ = np.zeros((48, 64), np.float32)
    exit_[20, 20], exit_[20, 24] = 0.9, 0.8
    pred = Prediction(np.zeros_like(exit_), exit_, np.zeros_like(exit_), source=src)
    m = measure(img, pred, um_per_px=4.0)
    assert m.hair_count == 1 and m.params["exit_min_distance_px"] == 5.0  # recorded as used
    assert measure(img, pred, um_per_px=4.0, config=MeasureConfig(exit_min_distance_px=2.0)).hair_count == 2


def test_count_objective_is_recorded_and_a_wrong_one_refused(tmp_path: Path) -> None:
    pytest.importorskip("trichometry.synth")
    from trichometry.errors import ConfigError
    from trichometry.training.calibrate import CANDIDATES, best_threshold

    torch.manual_seed(1)
    save_checkpoint(
        tmp_path / "a.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    post = calibrate(
        tmp_path / "a.pt", tmp_path / "b.pt", scenes=1, device="cpu", size=(64, 48), objective="count",
        tta="flips", map_scenes=1,
    )  # fmt: skip
    assert post["calibration"]["objective"] == "count" and post["exit_threshold_raw"] in CANDIDATES
    assert post["tta"] == "flips" and Predictor(tmp_path / "b.pt", device="cpu").tta == "flips"
    with pytest.raises(ConfigError, match="objective"):
        best_threshold(Predictor(tmp_path / "a.pt", device="cpu"), scenes=1, objective="mae")


def test_a_real_photo_counts_peaks_in_its_analysable_area_only() -> None:
    from trichometry.training.calibrate import RealPhoto

    raw = np.zeros((40, 60), np.float32)
    raw[10, 10], raw[10, 50], raw[30, 30] = 0.9, 0.7, 0.5
    valid = np.ones((40, 60), bool)
    valid[:, 45:] = False  # a burned-in overlay on the right
    pred = Prediction(np.zeros_like(raw), raw, np.zeros_like(raw))
    photo = RealPhoto(pred, n_true=2, um=2.0, valid=valid)
    assert photo.count(0.4, 6.0) == 2 and photo.count(0.6, 6.0) == 1 and photo.count(0.95, 6.0) == 0


def test_calibration_counts_a_shaft_with_a_peak_at_each_end_once_as_analysis_does() -> None:
    from trichometry.training.calibrate import RealPhoto

    shaft = np.zeros((40, 120), np.float32)
    shaft[18:23, 20:101] = 1.0  # one short hair from x=20 to x=100
    raw = np.zeros_like(shaft)
    raw[20, 20], raw[20, 100] = 0.9, 0.8  # the detector fired at both ends
    diam = np.where(shaft > 0, 5.0, 0.0).astype(np.float32)
    photo = RealPhoto(Prediction(shaft, raw, diam), n_true=1, um=2.0, valid=np.ones_like(shaft, bool))
    assert photo.count(0.5, 6.0) == 1
    img = np.full((40, 120, 3), 200, np.uint8)
    assert measure(img, Prediction(shaft, raw, diam), um_per_px=2.0).hair_count == 1


def test_real_box_photos_join_the_count_objective(tmp_path: Path) -> None:
    pytest.importorskip("trichometry.synth")
    from PIL import Image

    voc = tmp_path / "voc"
    for sub in ("images", "annotations", "splits"):
        (voc / sub).mkdir(parents=True)
    Image.fromarray(np.full((48, 64, 3), 180, np.uint8)).save(voc / "images" / "a1.png")
    (voc / "annotations" / "a1.xml").write_text(
        "<annotation><size><width>64</width><height>48</height></size><object><class>single</class>"
        "<bndbox><xmin>10</xmin><ymin>10</ymin><xmax>30</xmax><ymax>20</ymax></bndbox></object></annotation>"
    )
    (voc / "splits" / "train.txt").write_text("a1\n")
    torch.manual_seed(1)
    save_checkpoint(
        tmp_path / "a.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    post = calibrate(
        tmp_path / "a.pt", tmp_path / "b.pt", scenes=1, device="cpu", size=(64, 48), objective="count",
        boxes=voc, boxes_split="train", boxes_limit=5,
    )  # fmt: skip
    assert post["calibration"]["real_photos"] == {"root": str(voc), "split": "train", "images": 1}
