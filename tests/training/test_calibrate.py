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
    got = p.predict(img, 3.0)
    assert got.source.get("diameter_map_rel_error") == err == got.hints.diameter_map_rel_error


def test_calibrated_separation_reaches_the_measurement_engine(tmp_path: Path) -> None:
    pytest.importorskip("trichometry.synth")
    from trichometry.inference.prediction import Prediction
    from trichometry.measure import MeasureConfig
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
    got = Predictor(tmp_path / "c.pt", device="cpu", tile_px=64).predict(img, 4.0)
    assert got.source["exit_min_distance_px"] == got.hints.exit_min_distance_px == 5.0
    # two exit peaks 4 px apart: one hair under that separation, two with an explicit 2 px
    exit_ = np.zeros((48, 64), np.float32)
    exit_[20, 20], exit_[20, 24] = 0.9, 0.8
    pred = Prediction(np.zeros_like(exit_), exit_, np.zeros_like(exit_), source=got.source, hints=got.hints)
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


class _ExactButDimmer:
    """A stub detector that puts a peak on every generated hair's exit point, plus noise
    peaks at 0.55 of the hairs' height, and whose peaks come out lower the coarser the
    image (by 0.5 per octave beyond 4 um/px): one threshold cannot serve every scale."""

    canonical_um_per_px = 4.0

    def __init__(self, size: tuple[int, int]) -> None:
        self.size, self.i = size, 0
        self.scenes: list[tuple[float, int, np.ndarray]] = []  # (um, hairs, exit map)

    def predict(self, image, um, calibrated=False):  # the Predictor's signature
        from trichometry.synth import generate_sample
        from trichometry.training.calibrate import CALIBRATION_SEED0

        s = generate_sample(CALIBRATION_SEED0 + self.i, width=self.size[0], height=self.size[1], um_per_px=um)
        self.i += 1
        assert np.array_equal(s.image, image)  # the scene the calibration drew
        h, w = image.shape[:2]
        top = 0.8 - 0.5 * max(0.0, np.log2(um / 4.0))
        exit_ = np.zeros((h, w), np.float32)
        for x, y in (hair.exit_xy for hair in s.truth.inside_hairs):
            exit_[min(int(y), h - 1), min(int(x), w - 1)] = top
        rng = np.random.default_rng(self.i)
        for _ in range(5):  # noise peaks away from the hairs
            x, y = rng.integers(0, w), rng.integers(0, h)
            if exit_[max(y - 3, 0) : y + 4, max(x - 3, 0) : x + 4].max() == 0:
                exit_[y, x] = 0.55 * top
        self.scenes.append((um, len(s.truth.inside_hairs), exit_))
        zeros = np.zeros_like(exit_)
        return Prediction(zeros, exit_, zeros)

    def all_counted_right(self, t: float, k: float) -> bool:
        """Every scene counts its hairs, no more, no fewer, at its scale's threshold."""
        from trichometry.inference.predictor import scale_threshold
        from trichometry.training.sweep import Sweep

        def count(um: float, m: np.ndarray) -> int:
            z = np.zeros_like(m)
            return len(Sweep(Prediction(z, m, z), um).hairs(scale_threshold(t, k, um, 4.0), 6.0))

        return all(count(um, m) == n for um, n, m in self.scenes)


def test_coarse_images_get_their_own_threshold() -> None:
    pytest.importorskip("trichometry.synth")
    from trichometry.training.calibrate import best_threshold

    size = (160, 120)
    kw = {"scenes": 10, "size": size, "progress": False, "objective": "count"}
    stub = _ExactButDimmer(size)
    t, _, k, _ = best_threshold(stub, **kw)
    assert max(um for um, n, _ in stub.scenes if n) > 6.0  # coarse scenes with hairs were drawn
    assert k < 0 and stub.all_counted_right(t, k)  # the threshold falls as the peaks do
    one = _ExactButDimmer(size)
    t1, _, k1, _ = best_threshold(one, per_octave=(0.0,), **kw)
    assert k1 == 0.0 and not one.all_counted_right(t1, k1)  # one threshold cannot serve every scale


def test_a_scale_dependent_threshold_reaches_the_predictor(tmp_path: Path) -> None:
    from trichometry.inference.predictor import scale_threshold

    assert scale_threshold(0.5, -0.1, 2.0, 4.0) == 0.5 and scale_threshold(0.5, -0.1, 4.0, 4.0) == 0.5
    assert scale_threshold(0.5, -0.1, 16.0, 4.0) == pytest.approx(0.3)
    assert scale_threshold(0.5, -0.4, 64.0, 4.0) == 0.02  # kept inside (0, 1)
    torch.manual_seed(0)
    save_checkpoint(
        tmp_path / "a.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    ckpt = load_checkpoint(tmp_path / "a.pt")
    ckpt["postprocessing"] = {"exit_threshold_raw": 0.5, "exit_threshold": 0.3,
                              "exit_logit_shift": float(np.log(0.3 / 0.7) - np.log(0.5 / 0.5)),
                              "exit_threshold_raw_per_octave": -0.1}  # fmt: skip
    torch.save(ckpt, tmp_path / "b.pt")
    p = Predictor(tmp_path / "b.pt", device="cpu", tile_px=64)
    img = np.random.default_rng(3).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    for um, t in ((3.0, 0.5), (8.0, 0.4), (16.0, 0.3)):
        raw, cal = p.predict(img, um, calibrated=False), p.predict(img, um)
        # where the raw map crosses this scale's threshold, the calibrated one crosses 0.3
        assert np.array_equal(raw.exit_prob >= t + 1e-4, cal.exit_prob >= 0.3 + 1e-4)
        assert cal.source["exit_threshold_raw_per_octave"] == -0.1
        assert "exit_threshold_raw_per_octave" not in raw.source


def test_command_line_sets_scene_size_and_one_threshold(tmp_path: Path, capsys) -> None:
    pytest.importorskip("trichometry.synth")
    import json

    from trichometry.training.calibrate import main

    torch.manual_seed(0)
    save_checkpoint(
        tmp_path / "a.pt", create_model("tiny"), model_name="tiny", model_kwargs=model_kwargs("tiny")
    )
    main([str(tmp_path / "a.pt"), str(tmp_path / "b.pt"), "--scenes", "1", "--scene-size", "64", "48",
          "--device", "cpu", "--one-threshold"])  # fmt: skip
    post = json.loads(capsys.readouterr().out)
    assert post["exit_threshold_raw_per_octave"] == 0.0
    assert load_checkpoint(tmp_path / "b.pt")["postprocessing"] == post
