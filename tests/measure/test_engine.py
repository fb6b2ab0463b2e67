"""Oracle tests: predictions built from the drawn truth; measurement must recover it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trichometry.errors import CalibrationError, ConfigError, ImageRejected
from trichometry.measure import MeasureConfig, Roi, measure

UM = 5.0  # um per pixel of the drawn images


def _match(m, hairs):
    """Measured hair for each drawn hair (nearest exit point)."""
    got = m.exit_points()
    out = []
    for h in hairs:
        k = int(np.argmin(np.hypot(*(got - np.asarray(h.exit_xy)).T)))
        out.append(m.hairs[k])
    return out


def test_counts_and_thickness_from_profile(drawn):
    rng = np.random.default_rng(1)
    hairs = []
    for i in range(12):
        x, y = 20 + (i % 4) * 62, 40 + (i // 4) * 80  # shafts 45 px long, never touching
        hairs.append(drawn.Hair((x, y), float(rng.uniform(-25, 25)), 45, float(rng.uniform(3.0, 16.0))))
    img, pred = drawn((256, 260), hairs, blur_sigma=0.8, noise=2.0)
    m = measure(img, pred, um_per_px=UM)
    assert m.hair_count == 12
    got = _match(m, hairs)
    err_um = np.array([g.thickness_um - h.width_px * UM for g, h in zip(got, hairs)])
    assert all(g.thickness_source == "profile" for g in got)
    assert np.abs(err_um).mean() <= 3.0, err_um  # the project's thickness target
    assert np.abs(err_um).max() <= 6.0, err_um
    for g, h in zip(got, hairs):
        assert abs((g.direction_deg - h.angle_deg + 180) % 360 - 180) < 4
        assert g.length_px == pytest.approx(h.length_px, abs=3)


def test_crossing_hairs_stay_apart(drawn):
    hairs = [drawn.Hair((30, 100), 0, 180, 10.0), drawn.Hair((110, 190), 75, 170, 6.0)]
    img, pred = drawn((220, 240), hairs)
    m = measure(img, pred, um_per_px=UM)
    assert m.hair_count == 2
    a, b = _match(m, hairs)
    assert abs(a.direction_deg - 0) < 3 and abs(b.direction_deg - 75) < 3
    assert a.length_px == pytest.approx(180, abs=4) and b.length_px == pytest.approx(170, abs=4)
    assert a.thickness_px == pytest.approx(10.0, abs=0.6) and b.thickness_px == pytest.approx(6.0, abs=0.6)


def test_three_hair_unit_counts_one_by_one(drawn):
    # side by side out of one opening, as in a follicular unit, slightly fanning out
    hairs = [
        drawn.Hair((60, 100 + dy), ang, 140, w)
        for dy, ang, w in [(-9.0, 6.0, 7.0), (0.0, 0.0, 8.0), (9.0, -6.0, 6.0)]
    ]
    img, pred = drawn((200, 240), hairs)
    m = measure(img, pred, um_per_px=UM, config=MeasureConfig(unit_link_um=150))
    assert m.hair_count == 3
    fu = m.summary["follicular_units"]
    assert fu["units"] == 1 and fu["hairs_per_unit"]["3"] == 1
    got = _match(m, hairs)
    assert len({id(g) for g in got}) == 3
    for g, h in zip(got, hairs):  # near the opening they touch; the sections further out are clean
        assert g.thickness_px == pytest.approx(h.width_px, abs=1.0)


def test_roi_counts_only_exits_inside(drawn):
    hairs = [drawn.Hair((x, y), 0, 40, 6.0) for x, y in [(60, 60), (100, 100), (180, 60), (150, 150)]]
    img, pred = drawn((200, 240), hairs)
    roi = Roi.circle(80, 80, 35)  # holds (60,60) and (100,100) only; the shafts leave it
    m = measure(img, pred, um_per_px=UM, roi=roi)
    assert sorted(h.exit_xy for h in m.hairs) == [(60.0, 60.0), (100.0, 100.0)]
    area_cm2 = roi.mask((200, 240)).sum() * (UM * 1e-4) ** 2
    assert m.summary["area_cm2"] == pytest.approx(area_cm2)
    assert m.summary["density_per_cm2"] == pytest.approx(2 / area_cm2)
    lo, hi = m.summary["density_ci95_per_cm2"]
    assert lo < 2 / area_cm2 < hi
    assert m.to_dict()["roi"]["kind"] == "circle"


def test_valid_mask_removes_area_and_hairs(drawn):
    hairs = [drawn.Hair((40, 40), 0, 40, 6.0), drawn.Hair((40, 150), 0, 40, 6.0)]
    img, pred = drawn((200, 200), hairs)
    valid = np.ones((200, 200), bool)
    valid[120:, :] = False  # a burned-in strip over the second hair's opening
    m = measure(img, pred, um_per_px=UM, valid_mask=valid)
    assert m.hair_count == 1 and m.summary["area_px"] == 120 * 200


def test_uncalibrated_gives_counts_and_pixels_only(drawn):
    img, pred = drawn((128, 128), [drawn.Hair((20, 60), 0, 80, 7.0)])
    m = measure(img, pred, um_per_px=None)
    s = m.summary
    assert m.hair_count == 1 and not m.calibrated
    assert s["density_per_cm2"] is None and s["area_cm2"] is None and s["density_ci95_per_cm2"] is None
    assert s["mean_diameter_um"] is None and s["class_counts"] is None and s["follicular_units"] is None
    assert m.hairs[0].thickness_um is None and m.hairs[0].thickness_px == pytest.approx(7.0, abs=0.5)
    assert any(f.startswith("uncalibrated") for f in m.flags)


def test_classes_and_summary_under_conventions(drawn):
    widths = [4.0, 4.5, 9.0, 10.0, 14.0, 16.0]  # 20, 22.5, 45, 50, 70, 80 um
    hairs = [drawn.Hair((30 + 35 * i, 40), -90, 120, w) for i, w in enumerate(widths)]
    img, pred = drawn((200, 240), hairs)
    m = measure(img, pred, um_per_px=UM)
    assert m.summary["class_counts"] == {"vellus": 2, "intermediate": 2, "terminal": 2}
    assert m.summary["non_vellus_count"] == 4
    assert m.convention["name"] == "trichoscopy" and m.convention["cutoffs_um"] == [30.0, 60.0]
    t = measure(img, pred, um_per_px=UM, convention="trichoscan").summary["class_counts"]
    assert t == {"vellus": 2, "terminal": 4}
    s = m.summary
    true_um = np.array(widths) * UM
    assert s["mean_diameter_um"] == pytest.approx(true_um.mean(), abs=2.0)
    area = s["area_cm2"]
    assert s["cumulative_thickness_mm_per_cm2"] == pytest.approx(true_um.sum() / 1000 / area, rel=0.05)
    assert s["anisotrichosis_pct"] == pytest.approx(100 * true_um.std(ddof=1) / true_um.mean(), rel=0.08)
    assert s["direction"]["resultant_length"] == pytest.approx(1.0, abs=0.01)
    assert s["direction"]["mean_deg"] == pytest.approx(270.0, abs=2)
    doc = json.dumps(m.to_dict(), allow_nan=False)
    assert '"interval_method": "exact Poisson (Garwood), 95 %"' in doc


def test_light_hair_on_dark_skin_is_measured(drawn):
    # polarity: a grey hair brighter than dark skin
    img, pred = drawn((128, 160), [drawn.Hair((20, 64), 0, 110, 8.0, opacity=-0.6)], skin=(90, 60, 45))
    m = measure(img, pred, um_per_px=UM)
    assert m.hairs[0].thickness_source == "profile"
    assert m.hairs[0].thickness_px == pytest.approx(8.0, abs=0.6)


def test_no_hairs(drawn):
    img, pred = drawn((64, 64), [])
    m = measure(img, pred, um_per_px=UM)
    assert m.hair_count == 0 and m.summary["density_per_cm2"] == 0
    assert m.summary["density_ci95_per_cm2"][1] > 0  # an upper bound even for zero hairs
    json.dumps(m.to_dict(), allow_nan=False)


def test_bad_inputs_raise_clear_errors(drawn):
    img, pred = drawn((64, 64), [drawn.Hair((20, 30), 0, 30, 5.0)])
    with pytest.raises(ConfigError, match="differ in size"):
        measure(img[:32], pred, um_per_px=UM)
    with pytest.raises(CalibrationError):
        measure(img, pred, um_per_px=-1.0)
    with pytest.raises(CalibrationError):
        measure(img, pred, um_per_px=float("nan"))
    with pytest.raises(ImageRejected):
        measure(img.astype(np.float32), pred, um_per_px=UM)
    with pytest.raises(ConfigError):
        measure(img, pred, um_per_px=UM, convention="bogus")
    with pytest.raises(ConfigError):
        measure(img, pred, um_per_px=UM, valid_mask=np.ones((10, 10), bool))


def test_a_map_less_precise_than_the_tolerance_cannot_overrule_the_profile(drawn):
    import dataclasses

    from trichometry.inference import DetectorHints

    img, pred = drawn((128, 160), [drawn.Hair((20, 64), 0, 110, 8.0)])
    wrong = dataclasses.replace(
        pred, diameter_px=np.where(pred.diameter_px > 0, 14.0, 0.0).astype(np.float32)
    )
    # a map that claims to be precise wins where the profile disagrees with it ...
    m = measure(
        img, dataclasses.replace(wrong, hints=DetectorHints(diameter_map_rel_error=0.05)), um_per_px=UM
    )
    assert m.hairs[0].thickness_source == "map" and m.hairs[0].thickness_px == pytest.approx(14.0, abs=0.5)
    # ... one that its calibration found 40 % off does not
    m = measure(
        img, dataclasses.replace(wrong, hints=DetectorHints(diameter_map_rel_error=0.4)), um_per_px=UM
    )
    assert m.hairs[0].thickness_source == "profile" and m.hairs[0].thickness_px == pytest.approx(8.0, abs=0.6)


def test_each_width_carries_its_error_and_the_image_its_blur(drawn):
    rng = np.random.default_rng(3)
    hairs = [
        drawn.Hair((20 + (i % 4) * 62, 40 + (i // 4) * 80), float(rng.uniform(-20, 20)), 45, w)
        for i, w in enumerate([3.0, 4.0, 5.5, 6.0, 12.0, 14.0, 16.0, 15.0])
    ]
    img, pred = drawn((256, 260), hairs, blur_sigma=1.2, noise=2.0)
    m = measure(img, pred, um_per_px=UM)
    assert m.summary["blur_sections"] >= 4  # read from the wide shafts
    assert 1.0 <= m.summary["blur_px"] <= 1.8
    got = _match(m, hairs)
    for g, h in zip(got, hairs):
        assert g.thickness_source == "profile" and g.profile_flag is None
        assert 0 < g.thickness_se_um < 0.25 * g.thickness_um
        assert abs(g.thickness_um - h.width_px * UM) <= 3.5 * g.thickness_se_um + 1.0
        assert 0.0 <= g.class_confidence <= 1.0
    vs = m.summary["vellus_share"]
    assert vs["ci95"][0] <= vs["share"] <= vs["ci95"][1]
    doc = m.to_dict()["hairs"][0]
    assert doc["thickness_se_um"] == pytest.approx(m.hairs[0].thickness_se_um)
    # the older estimators stay available and report no error of their own
    edge = measure(img, pred, um_per_px=UM, config=MeasureConfig(profile_method="edge"))
    assert all(h.diameter_profile_se_px is None for h in edge.hairs)
    with pytest.raises(ConfigError, match="profile_method"):
        measure(img, pred, um_per_px=UM, config=MeasureConfig(profile_method="guess"))
