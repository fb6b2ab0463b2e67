"""Sub-threshold exit peaks ("candidates"): kept per photo, never counted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trichometry.errors import ConfigError
from trichometry.inference.prediction import Prediction
from trichometry.measure import MeasureConfig, Roi, measure

PEAKS = [((20.0, 20.0), 0.8), ((60.0, 40.0), 0.2), ((40.0, 60.0), 0.05)]


def _scene(peaks=PEAKS, shape=(80, 80)):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    exitp = np.zeros(shape, np.float32)
    for (x, y), a in peaks:
        exitp = np.maximum(exitp, a * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5**2)))
    zeros = np.zeros(shape, np.float32)
    image = np.full((*shape, 3), 200, np.uint8)
    return image, Prediction(zeros, exitp.astype(np.float32), zeros, source={"method": "oracle"})


def test_one_hair_and_one_candidate():
    image, pred = _scene()
    m = measure(image, pred, um_per_px=5.0, config=MeasureConfig(exit_threshold=0.3, candidate_ratio=0.5))
    assert m.hair_count == 1 and m.summary["hair_count"] == 1
    assert m.candidates_xy.shape == (1, 2)
    assert m.candidates_xy[0] == pytest.approx([60.0, 40.0], abs=0.05)
    assert m.candidate_scores[0] == pytest.approx(0.2, abs=0.01)
    doc = m.to_dict()
    assert [(c["x_px"], c["y_px"]) for c in doc["candidates"]] == [pytest.approx((60.0, 40.0), abs=0.05)]
    json.dumps(doc, allow_nan=False)


def test_candidates_follow_the_roi_and_valid_mask():
    image, pred = _scene()
    roi = Roi.circle(25.0, 25.0, 20.0)  # holds the hair, not the candidate
    m = measure(image, pred, um_per_px=5.0, roi=roi)
    assert m.hair_count == 1 and len(m.candidates_xy) == 0
    valid = np.ones((80, 80), bool)
    valid[30:50, 50:70] = False  # an overlay over the candidate
    m = measure(image, pred, um_per_px=5.0, valid_mask=valid)
    assert m.hair_count == 1 and len(m.candidates_xy) == 0


def test_ratio_one_or_zero_turns_candidates_off_and_bad_ratio_is_refused():
    image, pred = _scene()
    for ratio in (1.0, 0.0):
        m = measure(image, pred, um_per_px=5.0, config=MeasureConfig(candidate_ratio=ratio))
        assert m.hair_count == 1 and len(m.candidates_xy) == 0 and m.to_dict()["candidates"] == []
    with pytest.raises(ConfigError, match="candidate_ratio"):
        measure(image, pred, um_per_px=5.0, config=MeasureConfig(candidate_ratio=1.5))


def test_a_counted_hair_is_never_also_a_candidate():
    # a weak shoulder right beside a counted peak is the same exit, not a candidate
    image, pred = _scene(peaks=[((30.0, 30.0), 0.9), ((31.0, 30.0), 0.25)])
    m = measure(image, pred, um_per_px=5.0)
    assert m.hair_count == 1 and len(m.candidates_xy) == 0


def test_analysis_document_round_trips_candidates_into_visits():
    from types import SimpleNamespace

    from trichometry.outputs.schema import result_to_dict
    from trichometry.visits import HairPoints

    image, pred = _scene()
    m = measure(image, pred, um_per_px=5.0)
    loaded = SimpleNamespace(source="a.png", sha256="0", format="png", bit_depth=8, width=80, height=80,
                             um_per_px=5.0, calibration_source="explicit", calibration_note="")  # fmt: skip
    quality = SimpleNamespace(to_dict=lambda: {"verdict": "ok", "reasons": []})
    result = SimpleNamespace(
        loaded=loaded,
        measurement=m,
        status="ok",
        convention="trichoscopy",
        roi={},
        quality=quality,
        model={},
        timings_s={},
        flags=[],
        trichometry_version="x",
    )
    doc = result_to_dict(result)
    assert doc["hair_count"] == 1 and len(doc["candidates"]) == 1
    assert set(doc["candidates"][0]) == {"x_px", "y_px", "score"}
    p = HairPoints.from_analysis(doc)
    assert len(p) == 1 and p.candidates_xy == pytest.approx(m.candidates_xy)
    rejected = result_to_dict(SimpleNamespace(**{**vars(result), "status": "rejected", "measurement": None}))
    assert rejected["candidates"] == []
