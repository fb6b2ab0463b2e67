from __future__ import annotations

import numpy as np
import pytest

from trichometry.errors import CalibrationError, DataFormatError, ImageRejected
from trichometry.visits import HairPoints


def _doc(**kw):
    doc = {
        "status": "ok",
        "image": {"source": "a.jpg", "width": 100, "height": 80},
        "um_per_px": 2.8,
        "hairs": [
            {"x_px": 10.0, "y_px": 20.0, "thickness_um": 55.0},
            {"x_px": 30.5, "y_px": 40.0, "thickness_um": None},
        ],
        "quality": {"reasons": []},
    }
    doc.update(kw)
    return doc


def test_from_analysis_document():
    p = HairPoints.from_analysis(_doc())
    assert p.xy_px.tolist() == [[10.0, 20.0], [30.5, 40.0]]
    assert p.diameter_um[0] == 55.0 and np.isnan(p.diameter_um[1])
    assert (p.width, p.height, p.um_per_px) == (100, 80, 2.8)
    assert p.area_cm2 == pytest.approx(100 * 80 * (2.8e-4) ** 2)


def test_from_analysis_refuses_rejected_uncalibrated_and_malformed():
    with pytest.raises(ImageRejected, match="no usable image"):
        HairPoints.from_analysis(_doc(status="rejected", hairs=[], quality={"reasons": ["blank"]}))
    with pytest.raises(CalibrationError, match="um-per-px"):
        HairPoints.from_analysis(_doc(um_per_px=None))
    with pytest.raises(DataFormatError):
        HairPoints.from_analysis({"status": "ok"})


def test_rescaled_keeps_physical_positions():
    p = HairPoints([[0.0, 0.0], [9.0, 4.0]], [40.0, 50.0], 5.0, 10, 5)
    q = p.rescaled(2.0)
    assert q.um_per_px == 2.5 and (q.width, q.height) == (20, 10)
    # pixel edges stay put: centre of pixel 0 (edge -0.5..0.5) maps to 0.5
    assert q.xy_px.tolist() == [[0.5, 0.5], [18.5, 8.5]]
    assert q.area_cm2 == pytest.approx(p.area_cm2)


def test_bad_points_are_refused():
    with pytest.raises(DataFormatError):
        HairPoints([[0.0, 0.0]], [1.0, 2.0], 5.0, 10, 10)
    with pytest.raises(DataFormatError):
        HairPoints([[np.nan, 0.0]], [1.0], 5.0, 10, 10)


def test_from_analysis_reads_candidates_when_present():
    old = HairPoints.from_analysis(_doc())  # documents written before candidates existed
    assert old.candidates_xy is None and old.n_candidates == 0
    cands = [{"x_px": 5.0, "y_px": 6.5, "score": 0.2}, {"x_px": 70.0, "y_px": 8.0, "score": 0.16}]
    p = HairPoints.from_analysis(_doc(candidates=cands))
    assert p.candidates_xy.tolist() == [[5.0, 6.5], [70.0, 8.0]] and len(p) == 2
    assert HairPoints.from_analysis(_doc(candidates=[])).candidates_xy.shape == (0, 2)
    with pytest.raises(DataFormatError, match="candidates"):
        HairPoints.from_analysis(_doc(candidates=[{"x_px": 1.0}]))


def test_diameter_errors_travel_with_the_hairs():
    old = HairPoints.from_analysis(_doc())  # written before per-hair errors existed
    assert np.isnan(old.diameter_se).all() and len(old.diameter_se) == 2
    hairs = [{"x_px": 10.0, "y_px": 20.0, "thickness_um": 55.0, "thickness_se_um": 1.5},
             {"x_px": 30.5, "y_px": 40.0, "thickness_um": None, "thickness_se_um": None}]  # fmt: skip
    p = HairPoints.from_analysis(_doc(hairs=hairs))
    assert p.diameter_se[0] == 1.5 and np.isnan(p.diameter_se[1])
    assert p.rescaled(2.0).diameter_se[0] == 1.5
    with pytest.raises(DataFormatError, match="diameter errors"):
        HairPoints(np.zeros((2, 2)), np.zeros(2), 2.8, 10, 10, diameter_se_um=np.zeros(3))


def test_a_result_object_is_read_through_its_hairs_as_its_document_would_be():
    from trichometry.analysis import analyze
    from trichometry.synth import generate_sample

    sample = generate_sample(seed=11, width=256, height=192, um_per_px=5.0)
    result = analyze(sample.image, um_per_px=5.0, method="classical")
    direct, parsed = HairPoints.from_analysis(result), HairPoints.from_analysis(result.to_dict())
    assert len(direct) == len(parsed) > 0
    # the document keeps 6 decimals; the objects carry the unrounded values
    for a, b in (
        (direct.xy_px, parsed.xy_px),
        (direct.diameter_um, parsed.diameter_um),
        (direct.diameter_se_um, parsed.diameter_se_um),
        (direct.candidates_xy, parsed.candidates_xy),
    ):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)  # fmt: skip
    assert (direct.width, direct.height, direct.um_per_px) == (parsed.width, parsed.height, parsed.um_per_px)
    assert direct.image is result.image  # the photo travels with the object


def test_a_rejected_result_object_is_refused_with_its_reasons():
    from trichometry.analysis import analyze

    blank = analyze(np.full((96, 128, 3), 128, np.uint8), um_per_px=5.0, method="classical")
    assert blank.status == "rejected"
    with pytest.raises(ImageRejected, match="no visible contrast"):
        HairPoints.from_analysis(blank)
