"""trichometry.analyze: read -> quality -> infer -> measure, wired with an oracle detector."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

import trichometry
from trichometry.analysis import AnalysisResult, analyze, get_detector
from trichometry.errors import ConfigError, ImageRejected
from trichometry.inference.prediction import Prediction
from trichometry.synth import generate_sample

SCENE = dict(width=320, height=256, um_per_px=8.0, defocus_px=0.8, glare_spots=0, density_per_cm2=(200, 250))
SCENE.update(p_strip=0.0, p_scale_bar=0.0, p_circle=0.0, bubbles=0)


class OracleDetector:
    """Predicts the generator's truth: tests the wiring, not a detector."""

    def __init__(self, sample) -> None:
        self.sample = sample
        self.calls = 0
        self.source = {"method": "model", "name": "oracle", "version": "test", "sha256": "0" * 64}

    def predict(self, image_rgb: np.ndarray, um_per_px: float | None) -> Prediction:
        self.calls += 1
        t, truth = self.sample.targets, self.sample.truth
        h, w = t.shaft_mask.shape
        exit_prob = np.zeros((h, w), np.float32)
        yy, xx = np.mgrid[0:h, 0:w]
        for hair in truth.inside_hairs:
            x, y = hair.exit_xy
            exit_prob = np.maximum(exit_prob, np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2)))
        return Prediction(
            shaft_prob=t.shaft_mask.astype(np.float32),
            exit_prob=exit_prob.astype(np.float32),
            diameter_px=(t.diameter_um / truth.um_per_px).astype(np.float32),
            source=dict(self.source),
        )


@pytest.fixture(scope="module")
def sample():
    return generate_sample(11, **SCENE)


def test_oracle_counts_and_density(sample) -> None:
    det = OracleDetector(sample)
    r = analyze(sample.image, um_per_px=8.0, model=det)
    assert isinstance(r, AnalysisResult) and r.status == "ok" and det.calls == 1
    doc = r.to_dict()
    truth = sample.truth
    assert doc["hair_count"] == truth.count  # exact with a perfect detector and no overlays
    valid = r.quality.valid_mask.mean()
    assert doc["area_cm2"] == pytest.approx(truth.area_cm2 * valid, rel=1e-3)
    assert doc["density_per_cm2"] == pytest.approx(doc["hair_count"] / doc["area_cm2"], rel=1e-4)
    lo, hi = doc["density_ci95"]
    assert lo < doc["density_per_cm2"] < hi
    assert doc["model"] == {"method": "model", "name": "oracle", "version": "test", "sha256": "0" * 64} | {
        k: v for k, v in doc["model"].items() if k not in ("method", "name", "version", "sha256")
    }
    true_mean = np.mean([h.diameter_um for h in truth.inside_hairs])
    assert doc["mean_thickness_um"] == pytest.approx(true_mean, abs=8)
    assert set(r.timings_s) >= {"read", "quality", "infer", "measure", "total"}


def test_uncalibrated_gets_no_density(sample) -> None:
    r = analyze(sample.image, model=OracleDetector(sample))
    doc = r.to_dict()
    assert r.um_per_px is None and "uncalibrated" in r.flags
    assert doc["hair_count"] > 0
    for key in ("density_per_cm2", "density_ci95", "area_cm2", "class_counts", "mean_thickness_um"):
        assert doc[key] is None, key
    assert doc["calibration"]["source"] == "none"


def test_quality_reject_returns_reasons_and_no_numbers(sample) -> None:
    det = OracleDetector(sample)
    blurred = cv2.GaussianBlur(sample.image, (0, 0), 25)
    r = analyze(blurred, um_per_px=8.0, model=det)
    assert r.status == "rejected" and r.measurement is None and det.calls == 0
    doc = r.to_dict()
    assert doc["hair_count"] is None and doc["density_per_cm2"] is None and doc["hairs"] == []
    assert doc["quality"]["verdict"] == "reject" and doc["quality"]["reasons"]


def test_bytes_with_device_profile_and_roi(sample) -> None:
    buf = io.BytesIO()
    Image.fromarray(sample.image).save(buf, format="PNG")
    r = analyze(buf.getvalue(), device="fdu-70x", roi="circle:c,c,60", model=OracleDetector(sample))
    assert r.loaded.calibration_source == "device-profile"
    assert r.um_per_px == pytest.approx(2.8 * 1280 / 320)
    doc = r.to_dict()
    assert doc["roi"]["kind"] == "circle"
    cx, cy = (320 - 1) / 2, (256 - 1) / 2
    assert all((h["x_px"] - cx) ** 2 + (h["y_px"] - cy) ** 2 <= 60.5**2 for h in doc["hairs"])
    assert doc["area_cm2"] < np.pi * 61**2 * (r.um_per_px * 1e-4) ** 2


def test_classical_end_to_end(sample) -> None:
    r = analyze(sample.image, um_per_px=8.0, method="classical")
    assert r.status == "ok" and r.model["method"] == "classical"
    assert r.to_dict()["hair_count"] >= 1


def test_errors_and_lazy_export(tmp_path) -> None:
    assert trichometry.analyze is analyze
    with pytest.raises(ConfigError, match="model, classical"):
        get_detector("magic")
    with pytest.raises(ConfigError, match="classical"):
        get_detector("classical", tmp_path / "x.pt")
    (tmp_path / "x.jpg").write_text("not an image")
    with pytest.raises(ImageRejected):
        analyze(tmp_path / "x.jpg", method="classical")
    with pytest.raises(ConfigError):
        analyze(np.zeros((64, 64, 3), np.uint8), method="classical", convention="nonsense")


def test_model_checkpoint_path_and_env_default(sample, tmp_path, monkeypatch) -> None:
    torch = pytest.importorskip("torch")
    from trichometry.inference.predictor import ENV_MODEL
    from trichometry.models import create_model, model_kwargs, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path / "tiny.pt"
    model = create_model("tiny")
    model.eval()
    save_checkpoint(path, model, model_name="tiny", model_kwargs=model_kwargs("tiny"))
    crop = np.ascontiguousarray(sample.image[:96, :128])  # one tile at the model's scale: fast
    r = analyze(crop, um_per_px=3.0, method="model", model=path)  # untrained: wiring only
    assert r.status == "ok" and r.model["method"] == "model" and r.model["name"]
    assert r.model["sha256"] and len(r.model["sha256"]) == 64
    monkeypatch.setenv(ENV_MODEL, str(path))
    r2 = analyze(crop, um_per_px=3.0)  # method="model", model=None: $TRICHOMETRY_MODEL
    assert r2.model["sha256"] == r.model["sha256"]
    assert r2.to_dict()["hair_count"] == r.to_dict()["hair_count"]  # same image + model, same numbers
