from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch

from trichometry.errors import CalibrationError, CheckpointError, ImageRejected
from trichometry.inference.candidates import ENGINE_THRESHOLD, CandidatePredictor
from trichometry.inference.loading import load_predictor, predictor_class
from trichometry.inference.predictor import Predictor
from trichometry.models import create_model, load_checkpoint, model_kwargs, save_checkpoint
from trichometry.utils.atomic import atomic_write_bytes

TINY = {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1, 1], "decoder_channels": 8}


@pytest.fixture(scope="module")
def frame_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("seg") / "seg.pt"
    model = create_model("frame_s", **TINY)
    with torch.no_grad():  # a net that fires somewhere, so there is something to decode
        model.head[-1].bias[0] = 0.0
    model.eval()
    save_checkpoint(
        path,
        model,
        model_name="frame_s",
        model_kwargs=model_kwargs("frame_s", **TINY),
        canonical_um_per_px=5.0,
    )
    return path


def _with_post(src: Path, dst: Path, **post) -> Path:
    ckpt = load_checkpoint(src)
    ckpt["postprocessing"] = post
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(dst, buf.getvalue())
    return dst


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 170, np.uint8)
    img[:, w // 3 : w // 3 + 4] = 40
    return np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)


def test_prediction_carries_hairs_in_input_pixels(frame_ckpt: Path) -> None:
    pred = CandidatePredictor(frame_ckpt, device="cpu").predict(_image(97, 151), 2.5)
    assert pred.shape == (97, 151) and pred.hairs is not None and len(pred.hairs) > 0
    for m in (pred.shaft_prob, pred.exit_prob, pred.diameter_px):
        assert m.shape == (97, 151) and m.dtype == np.float32 and np.isfinite(m).all()
    # the scene at 2.5 um/px is read at the model's 5 um/px: centres map back into the frame
    c = pred.hairs.centres
    assert (c[:, 0] > -4).all() and (c[:, 0] < 155).all() and (c[:, 1] > -4).all() and (c[:, 1] < 101).all()
    assert pred.source["arch"] == "frames" and pred.source["um_per_px"] == 2.5


def _fake_maps(image: np.ndarray) -> np.ndarray:
    """A stand-in network: a centre wherever a 4x4 cell holds a red dot, a horizontal
    16 px box around it, root at its left end."""
    h, w = image.shape[:2]
    hc, wc = -(-h // 4), -(-w // 4)
    red = np.zeros((hc * 4, wc * 4), np.float32)
    red[:h, :w] = image[..., 0] / 255.0
    maps = np.zeros((7, hc, wc), np.float32)
    maps[0] = red.reshape(hc, 4, wc, 4).max(axis=(1, 3))
    maps[1:3], maps[3], maps[4], maps[5], maps[6] = 0.5, 16.0, 1.0, 0.0, 1.0
    return maps


def test_tiles_find_each_hair_once_and_where_one_pass_does(frame_ckpt: Path) -> None:
    rng = np.random.default_rng(1)
    img = np.zeros((152, 232, 3), np.uint8)
    ys, xs = rng.integers(0, 38, 60) * 4 + 1, rng.integers(0, 58, 60) * 4 + 1
    img[ys, xs, 0] = 200
    whole = CandidatePredictor(frame_ckpt, device="cpu", tile_px=1024)
    tiled = CandidatePredictor(frame_ckpt, device="cpu", tile_px=64, overlap_px=16)
    for p in (whole, tiled):
        p._maps = _fake_maps  # type: ignore[method-assign]
    um = whole.canonical_um_per_px  # no resampling: the dots stay single cells
    a, b = whole.predict(img, um).hairs, tiled.predict(img, um).hairs
    assert len(a) == len({(y, x) for y, x in zip(ys, xs)})
    key = lambda h: sorted(map(tuple, np.round(h.centres, 6)))  # noqa: E731
    assert key(a) == key(b)
    np.testing.assert_allclose(sorted(map(tuple, a.roots)), sorted(map(tuple, b.roots)))


def test_calibration_maps_the_raw_threshold_to_the_engine_threshold(frame_ckpt: Path, tmp_path: Path) -> None:
    raw_t = 0.45
    ckpt = _with_post(frame_ckpt, tmp_path / "cal.pt", centre_threshold_raw=raw_t, orient="network")
    p = CandidatePredictor(ckpt, device="cpu")
    img = _image(96, 96)
    raw = p.predict(img, 5.0, calibrated=False).hairs
    cal = p.predict(img, 5.0).hairs
    assert len(raw) == len(cal)
    np.testing.assert_allclose(raw.centres, cal.centres)
    assert ((raw.scores >= raw_t) == (cal.scores >= ENGINE_THRESHOLD - 1e-9)).all()


def test_bad_input_is_refused_as_by_the_dense_predictor(frame_ckpt: Path) -> None:
    p = CandidatePredictor(frame_ckpt, device="cpu")
    with pytest.raises(ImageRejected):
        p.predict(np.zeros((0, 10, 3), np.uint8), 5.0)
    with pytest.raises(ImageRejected):
        p.predict("not an image", 5.0)  # type: ignore[arg-type]
    with pytest.raises(CalibrationError):
        p.predict(_image(64, 64), -1.0)


def test_loader_picks_the_predictor_from_the_checkpoint(frame_ckpt: Path, tmp_path: Path) -> None:
    dense = tmp_path / "dense.pt"
    save_checkpoint(dense, create_model("tiny").eval(), model_name="tiny", model_kwargs=model_kwargs("tiny"))
    assert predictor_class(frame_ckpt) is CandidatePredictor and predictor_class(dense) is Predictor
    with pytest.raises(CheckpointError, match="dense-map"):
        CandidatePredictor(dense, device="cpu")
    assert isinstance(load_predictor(frame_ckpt, device="cpu"), CandidatePredictor)


def test_unknown_postprocessing_is_a_clear_error(frame_ckpt: Path, tmp_path: Path) -> None:
    from trichometry.errors import ConfigError

    bad = _with_post(frame_ckpt, tmp_path / "bad.pt", orient="sideways")
    with pytest.raises(ConfigError, match="orientation"):
        CandidatePredictor(bad, device="cpu")
