"""JSON document, CSV rows and the overlay picture of an analysis."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest

from trichometry.analysis import analyze
from trichometry.errors import OutputError
from trichometry.inference.prediction import Prediction
from trichometry.outputs import (
    CSV_COLUMNS,
    REQUIRED_KEYS,
    failure_row,
    render_overlay,
    result_row,
    write_csv,
    write_json,
    write_png,
)
from trichometry.outputs.overlay import CLASS_COLOURS, UNCALIBRATED_COLOUR

HAIR_KEYS = {"x_px", "y_px", "thickness_um", "length_um", "class", "unit_id"}


BARS = ((60, 2), (200, 5), (340, 9))  # 5, 11, 19 px wide: 25, 55, 95 um at 5 um/px


class LinesDetector:
    """Three dark horizontal bars of known width on a light background, exits at the left ends."""

    source: ClassVar[dict[str, str]] = {
        "method": "model",
        "name": "lines",
        "version": "1",
        "sha256": "ab" * 32,
    }

    def predict(self, image_rgb: np.ndarray, um_per_px: float | None) -> Prediction:
        h, w = image_rgb.shape[:2]
        shaft = (image_rgb.mean(axis=2) < 128).astype(np.float32)
        exit_prob = np.zeros((h, w), np.float32)
        yy, xx = np.mgrid[0:h, 0:w]
        for y, _ in BARS:
            exit_prob = np.maximum(exit_prob, np.exp(-((xx - 260) ** 2 + (yy - y) ** 2) / 4.5))
        dia = np.zeros((h, w), np.float32)
        for y, half in BARS:
            dia[y - half : y + half + 1, 260:460] = 2 * half + 1
        return Prediction(shaft, exit_prob.astype(np.float32), dia, dict(self.source))


def lines_image() -> np.ndarray:
    img = np.full((400, 480, 3), 200.0)
    for y, half in BARS:
        img[y - half : y + half + 1, 260:460] = 40
    rng = np.random.default_rng(0)  # sensor noise: a perfectly flat bar would read as a painted label
    return np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def result():
    return analyze(lines_image(), um_per_px=5.0, model=LinesDetector())


def test_json_has_required_keys_and_is_strict_json(result, tmp_path: Path) -> None:
    doc = result.to_dict()
    assert set(REQUIRED_KEYS) <= set(doc)
    assert doc["hair_count"] == 3
    assert {"name", "version", "sha256"} <= set(doc["model"]) and doc["model"]["sha256"] == "ab" * 32
    assert doc["convention"]["name"] == "trichoscopy"
    assert all(HAIR_KEYS <= set(h) for h in doc["hairs"])
    classes = sorted((h["y_px"], h["class"]) for h in doc["hairs"])
    assert [c for _, c in classes] == ["vellus", "intermediate", "terminal"]
    path = write_json(tmp_path / "r.json", doc)
    assert json.loads(path.read_text()) == doc
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary left


def test_rejected_and_uncalibrated_documents_keep_the_schema() -> None:
    blank = analyze(np.full((100, 100, 3), 120, np.uint8), um_per_px=5.0, model=LinesDetector())
    doc = blank.to_dict()
    assert blank.status == "rejected" and set(REQUIRED_KEYS) <= set(doc)
    json.dumps(doc, allow_nan=False)
    unc = analyze(lines_image(), model=LinesDetector()).to_dict()
    assert set(REQUIRED_KEYS) <= set(unc) and unc["density_per_cm2"] is None and unc["hair_count"] == 3


def test_csv_rows_and_formula_neutralised(result, tmp_path: Path) -> None:
    doc = result.to_dict()
    rows = [
        result_row(doc, "=HYPERLINK(evil).jpg", "a.json", "a_overlay.png"),
        failure_row("-b.jpg", "=bad"),
        failure_row("-12", "x"),  # a plain number is no formula: the same rule as the reports
    ]
    path = write_csv(tmp_path / "m.csv", rows)
    with path.open() as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0]) == list(CSV_COLUMNS)
    assert got[0]["file"].startswith("'=") and got[1]["file"] == "'-b.jpg" and got[1]["error"] == "'=bad"
    assert got[2]["file"] == "-12"
    assert got[0]["status"] == "ok" and int(got[0]["hair_count"]) == 3 and got[1]["status"] == "failed"
    assert float(got[0]["density_per_cm2"]) == pytest.approx(doc["density_per_cm2"], rel=1e-5)


def test_overlay_colours_hairs_by_class(result) -> None:
    doc = result.to_dict()
    pic = render_overlay(result, doc)
    h, w = result.image.shape[:2]
    assert pic.shape[0] > h and pic.shape[1] >= w and pic.dtype == np.uint8
    for h in doc["hairs"]:
        idx = doc["convention"]["labels"].index(h["class"])
        x, y = round(h["x_px"]), round(h["y_px"])
        assert tuple(int(v) for v in pic[y, x]) == CLASS_COLOURS[idx]
    unc = analyze(lines_image(), model=LinesDetector())
    pic2 = render_overlay(unc)
    h = unc.to_dict()["hairs"][0]
    assert tuple(int(v) for v in pic2[round(h["y_px"]), round(h["x_px"])]) == UNCALIBRATED_COLOUR


def test_legend_sits_below_the_photo_and_hides_no_hair(result) -> None:
    from trichometry.clinic.analysis import AnalysisSettings, record_from_result
    from trichometry.outputs.overlay import STRIP_COLOUR, draw_hairs
    from trichometry.store.images import decode_rgb

    doc = result.to_dict()
    pic = render_overlay(result, doc)
    h, w = result.image.shape[:2]
    # every pixel of the photo area is the photo with its hairs drawn: none belongs to the legend
    np.testing.assert_array_equal(pic[:h, :w], draw_hairs(result, doc))
    strip = pic[h:]
    assert (strip.min(axis=2) > 200).sum() > 100  # the legend's white text is below the photo
    assert (strip == STRIP_COLOUR).all(axis=2).mean() > 0.5
    # the web app stores the same picture
    stored = record_from_result(result, AnalysisSettings(method="classical"), 5.0).overlay_png
    np.testing.assert_array_equal(decode_rgb(stored), pic)


def test_write_png_roundtrip_and_unwritable(tmp_path: Path) -> None:
    img = lines_image()
    p = write_png(tmp_path / "o.png", img)
    np.testing.assert_array_equal(cv2.imread(str(p))[..., ::-1], img)
    if os.geteuid() != 0:  # root ignores permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(OutputError):
            write_png(ro / "o.png", img)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        write_json(blocker / "r.json", {"a": 1})
