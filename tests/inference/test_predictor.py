from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from trichometry.errors import CalibrationError, CheckpointError, ImageRejected
from trichometry.inference import Prediction
from trichometry.inference.predictor import ENV_MODEL, Predictor, load_default_predictor
from trichometry.models import create_model, model_kwargs, save_checkpoint


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    model = create_model("tiny")
    model.eval()
    save_checkpoint(path, model, model_name="tiny", model_kwargs=model_kwargs("tiny"))
    return path


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 170, np.uint8)
    img[:, w // 3 : w // 3 + 4] = 40  # a dark "hair"
    return np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)


def test_image_larger_than_one_tile_and_odd_size(ckpt: Path) -> None:
    pred = Predictor(ckpt, device="cpu", tile_px=64, overlap_px=16, batch_size=3).predict(
        _image(97, 151), 3.0
    )
    assert isinstance(pred, Prediction)
    assert pred.shape == (97, 151)
    for m in (pred.shaft_prob, pred.exit_prob, pred.diameter_px):
        assert m.dtype == np.float32 and np.isfinite(m).all()
    assert pred.shaft_prob.min() >= 0 and pred.shaft_prob.max() <= 1
    assert pred.source["name"] == "tiny" and len(pred.source["sha256"]) == 64 and pred.source["version"]


def test_tiles_blend_without_seams(ckpt: Path) -> None:
    img = _image(96, 160, seed=1)
    whole = Predictor(ckpt, device="cpu", tile_px=256).predict(img, 3.0)
    tiled = Predictor(ckpt, device="cpu", tile_px=64, overlap_px=16).predict(img, 3.0)
    # same network, so tiled maps must stay close to the one-pass maps everywhere
    assert np.abs(whole.shaft_prob - tiled.shaft_prob).mean() < 0.02
    assert np.abs(whole.diameter_px - tiled.diameter_px).mean() < 0.05 * whole.diameter_px.mean() + 0.05


def test_tiny_image_and_scale_change(ckpt: Path) -> None:
    pred = Predictor(ckpt, device="cpu", tile_px=64).predict(_image(5, 7), 3.0)
    assert pred.shape == (5, 7)
    p = Predictor(ckpt, device="cpu", tile_px=64)
    coarse = p.predict(_image(40, 50), 6.0)  # 6 um/px: the network sees it twice as large
    assert coarse.shape == (40, 50)
    assert coarse.source["um_per_px"] == 6.0 and not coarse.source["um_per_px_assumed"]
    assert p.predict(_image(40, 50), None).source["um_per_px_assumed"]


def test_diameter_is_in_input_pixels(ckpt: Path) -> None:
    p = Predictor(ckpt, device="cpu", tile_px=64)
    img = _image(64, 64)
    at_canonical = p.predict(img, 3.0).diameter_px
    # the same pixels declared twice as fine: the network sees a 2x smaller image, and
    # a diameter in input pixels must come out about twice its canonical-pixel value
    big = np.repeat(np.repeat(img, 2, axis=0), 2, axis=1)
    fine = p.predict(big, 1.5).diameter_px
    ratio = np.median(fine) / np.median(at_canonical)
    assert 1.6 < ratio < 2.4


@pytest.mark.parametrize("um", [0.0, -1.0, float("nan"), "abc", 1000.0])
def test_bad_scale_is_calibration_error(ckpt: Path, um: object) -> None:
    with pytest.raises(CalibrationError):
        Predictor(ckpt, device="cpu", tile_px=64).predict(_image(16, 16), um)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "img",
    [np.zeros((8, 8, 2), np.uint8), np.zeros((8, 8, 3), np.float32), np.zeros((0, 4, 3), np.uint8), [1]],
)
def test_bad_image_is_rejected(ckpt: Path, img: object) -> None:
    with pytest.raises(ImageRejected):
        Predictor(ckpt, device="cpu", tile_px=64).predict(img, 3.0)  # type: ignore[arg-type]


def test_default_predictor_from_env(ckpt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MODEL, str(ckpt))
    assert (
        load_default_predictor(device="cpu").source["sha256"]
        == Predictor(ckpt, device="cpu").source["sha256"]
    )
    monkeypatch.setenv(ENV_MODEL, str(tmp_path / "nope.pt"))
    with pytest.raises(CheckpointError, match=ENV_MODEL):
        load_default_predictor(device="cpu")


def test_flips_make_the_maps_follow_a_mirrored_image(ckpt: Path) -> None:
    img = _image(64, 64, seed=3)
    img[10:14, :] = 60  # an asymmetric scene
    flipped = np.ascontiguousarray(img[:, ::-1])
    um = 4.0  # the canonical scale: one 64 px tile, no resampling, no padding
    plain = Predictor(ckpt, device="cpu", tile_px=64, overlap_px=0, tta="none")
    a, b = plain.predict(img, um), plain.predict(flipped, um)
    assert not np.allclose(a.exit_prob[:, ::-1], b.exit_prob, atol=1e-4)  # an untrained net is not
    tta = Predictor(ckpt, device="cpu", tile_px=64, overlap_px=0, tta="flips")
    a, b = tta.predict(img, um), tta.predict(flipped, um)
    for ma, mb in zip((a.shaft_prob, a.exit_prob, a.diameter_px), (b.shaft_prob, b.exit_prob, b.diameter_px)):
        np.testing.assert_allclose(ma[:, ::-1], mb, atol=1e-5)
    assert a.source["tta"] == "flips"


def test_the_checkpoint_says_which_flips_it_was_calibrated_with(ckpt: Path, tmp_path: Path) -> None:
    from trichometry.errors import ConfigError
    from trichometry.models import load_checkpoint

    c = load_checkpoint(ckpt)
    c["postprocessing"] = {"tta": "flips"}
    torch.save(c, tmp_path / "flips.pt")
    assert Predictor(tmp_path / "flips.pt", device="cpu").tta == "flips"
    assert Predictor(tmp_path / "flips.pt", device="cpu", tta="none").tta == "none"  # the caller decides
    assert Predictor(ckpt, device="cpu").tta == "none"  # older checkpoints: no flips
    with pytest.raises(ConfigError, match="test-time augmentation"):
        Predictor(ckpt, device="cpu", tta="rotate")
