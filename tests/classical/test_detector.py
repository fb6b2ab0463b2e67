"""The classical baseline: shapes, provenance, clear errors, and real detection behaviour."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from trichometry.classical import ClassicalDetector
from trichometry.errors import CalibrationError, ConfigError, ImageRejected
from trichometry.measure import measure

UM = 5.0


def _scene(hairs, shape=(240, 320), skin=(205, 170, 150), halo=True, seed=0):
    """Dark clipped shafts on skin; a bluish perifollicular halo at each exit."""
    rng = np.random.default_rng(seed)
    h, w = shape
    img = np.empty((h, w, 3), np.float32)
    img[:] = skin
    ss = 4
    for (x, y), ang, length, width in hairs:
        a = math.radians(ang)
        u = np.array([math.cos(a), -math.sin(a)])
        if halo:
            blob = np.zeros((h, w), np.float32)
            cv2.circle(blob, (int(x), int(y)), int(1.5 * width), 1.0, -1)
            blob = cv2.GaussianBlur(blob, (0, 0), width / 2)[..., None]
            img = img * (1 - 0.4 * blob) + 0.4 * blob * np.array([200, 200, 255], np.float32)  # bluish tint
        big = np.zeros((h * ss, w * ss), np.uint8)
        p0 = (np.array([x, y]) + 0.5) * ss
        p1 = p0 + length * ss * u
        cv2.line(
            big,
            tuple(np.round(p0).astype(int)),
            tuple(np.round(p1).astype(int)),
            255,
            max(1, round(width * ss)),
        )
        cov = cv2.resize(big.astype(np.float32) / 255, (w, h), interpolation=cv2.INTER_AREA)[..., None]
        img = img * (1 - 0.85 * cov)
    img = cv2.GaussianBlur(img, (0, 0), 0.8) + rng.normal(0, 2, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


# (exit, angle deg, length px, width px): apart from each other, exits haloed
HAIRS = [
    ((40, 50), -10, 110, 12),
    ((40, 190), 15, 120, 16),
    ((290, 110), 170, 100, 9),
    ((230, 20), -80, 55, 14),
]


def test_prediction_maps_and_provenance():
    img = _scene(HAIRS)
    pred = ClassicalDetector().predict(img, UM)
    assert pred.shape == img.shape[:2]
    for m in (pred.shaft_prob, pred.exit_prob, pred.diameter_px):
        assert m.dtype == np.float32 and np.isfinite(m).all()
    assert 0 <= pred.shaft_prob.min() and pred.shaft_prob.max() <= 1 and pred.exit_prob.max() <= 1
    assert pred.source["method"] == "classical" and "params" in pred.source


def test_counts_and_exit_ends_on_drawn_hairs():
    img = _scene(HAIRS)
    m = measure(img, ClassicalDetector().predict(img, UM), um_per_px=UM)
    assert m.hair_count == len(HAIRS)
    got = m.exit_points()
    for (x, y), _, _, width in HAIRS:  # the exit (haloed) end, not the cut tip
        assert np.hypot(*(got - (x, y)).T).min() <= max(8.0, 1.2 * width)  # within about a radius


def test_thickness_from_profile_on_classical_maps():
    img = _scene(HAIRS)
    m = measure(img, ClassicalDetector().predict(img, UM), um_per_px=UM)
    got = m.exit_points()
    for (x, y), _, _, width in HAIRS:
        hm = m.hairs[int(np.argmin(np.hypot(*(got - (x, y)).T)))]
        assert hm.thickness_px == pytest.approx(width, rel=0.15)


def _subsurface(img, hairs, depth=2.5, col=(0.55, 0.65, 0.9)):
    """The shaft's part under the skin behind each exit: a blue-grey line (Tyndall effect)."""
    out = img.astype(np.float32)
    for (x, y), ang, _, width in hairs:
        a = math.radians(ang)
        u = np.array([math.cos(a), -math.sin(a)])
        m = np.zeros(img.shape[:2], np.float32)
        p1 = np.round(np.array([x, y]) - depth * width * u).astype(int)
        cv2.line(m, (int(x), int(y)), tuple(p1), 1.0, max(1, round(0.8 * width)))
        m = cv2.GaussianBlur(m, (0, 0), 1.0)[..., None]
        out = out * (1 - m * (1 - np.array(col, np.float32)))
    return np.clip(out, 0, 255).astype(np.uint8)


def test_bluish_subsurface_shaft_does_not_move_the_exit():
    """Behind each exit the buried shaft shows blue-grey; it is darker than skin, so without
    the blue penalty the shaft runs on under the skin and the exit lands 55-160 px back
    (measured: one hair lost, exits 55-159 px off); with it, within 1-3 px."""
    img = _subsurface(_scene(HAIRS), HAIRS)
    for bp, near in ((1.5, True), (0.0, False)):
        m = measure(img, ClassicalDetector(blue_penalty=bp).predict(img, UM), um_per_px=UM)
        got = m.exit_points()
        d = [np.hypot(*(got - (x, y)).T).min() if len(got) else np.inf for (x, y), *_ in HAIRS]
        if near:
            assert m.hair_count == len(HAIRS)
            assert max(d) <= 0.5 * min(w for *_, w in HAIRS), d
        else:  # the cue matters: without it the exits are far off
            assert np.median(d) > 20, d


def test_hair_crossing_the_whole_frame_is_not_counted():
    # both ends leave the frame: its exit lies outside, so it does not count
    img = _scene([((-20, 120), 0, 400, 12)], halo=False)
    m = measure(img, ClassicalDetector().predict(img, UM), um_per_px=UM)
    assert m.hair_count == 0


def test_empty_skin_gives_no_hairs():
    rng = np.random.default_rng(3)
    img = np.clip(rng.normal(180, 4, (200, 200, 3)), 0, 255).astype(np.uint8)
    m = measure(img, ClassicalDetector().predict(img, UM), um_per_px=UM)
    assert m.hair_count == 0


def test_uncalibrated_runs_with_pixel_widths():
    img = _scene(HAIRS)
    pred = ClassicalDetector().predict(img, None)
    assert measure(img, pred, um_per_px=None).hair_count >= 3


def test_bad_inputs():
    det = ClassicalDetector()
    with pytest.raises(ImageRejected):
        det.predict(np.zeros((64, 64), np.uint8), UM)
    with pytest.raises(ImageRejected):
        det.predict(np.zeros((8, 8, 3), np.uint8), UM)
    with pytest.raises(CalibrationError):
        det.predict(np.zeros((64, 64, 3), np.uint8), -2.0)
    with pytest.raises(ConfigError, match="valid options"):
        ClassicalDetector(no_such_option=1)


@pytest.mark.fdu
def test_real_images_counts_in_range(fdu_root):
    """On real 70x images the baseline counts about as many hairs as there are boxes.

    Measured (default settings): val[:3] 14 / 24 / 17 hairs against 15 / 15 / 16 boxes
    (pooled +20 %); bounds per image 0.6x to 1.8x + 2, pooled within 35 %."""
    from trichometry.io import read_image

    ids = (fdu_root / "splits" / "val.txt").read_text().split()[:3]
    det = ClassicalDetector()
    got = true = 0
    for iid in ids:
        img = read_image(fdu_root / "images" / f"{iid}.jpg").image
        m = measure(img, det.predict(img, 2.8), um_per_px=2.8)
        n_boxes = (fdu_root / "annotations" / f"{iid}.xml").read_text().count("<bndbox>")
        assert 0.6 * n_boxes <= m.hair_count <= 1.8 * n_boxes + 2, (iid, m.hair_count, n_boxes)
        got, true = got + m.hair_count, true + n_boxes
    assert abs(got - true) <= 0.35 * true, (got, true)


def test_generated_images_within_documented_tolerances():
    """Baseline on generated images (seeds 200-209, 320x256; 58 hairs) with the generated-
    image setting ``blue_penalty=1.5`` (the default, 0, is the real-image setting).
    Measured by this test's loop: pooled count error +5 %, exit F1 at 150 um 0.20,
    median thickness error 24 um (the detector of f778f10, before the blue penalty:
    -7 %, 0.125, 33 um on the same scenes). Earlier
    generator versions gave -8 % to +23 %, F1 0.16-0.45, 17-44 um, so the bounds keep a
    margin for generator drift: count within 30 %, F1 >= 0.15, median error <= 40 um
    (a terminal hair is about 30 um; touching hairs of one unit still merge into one
    wide shaft)."""
    synth = pytest.importorskip("trichometry.synth")
    from trichometry.evaluation.metrics import point_detection

    det = ClassicalDetector(blue_penalty=1.5)
    got = true = tp = fp = fn = 0
    errs = []
    for seed in range(200, 210):
        s = synth.generate_sample(seed, width=320, height=256)
        u = s.truth.um_per_px
        m = measure(s.image, det.predict(s.image, u), um_per_px=u)
        truth = s.truth.inside_hairs
        pd = point_detection(m.exit_points(), np.array([h.exit_xy for h in truth]).reshape(-1, 2), 150 / u)
        tp, fp, fn = tp + pd.tp, fp + pd.fp, fn + pd.fn
        got, true = got + m.hair_count, true + len(truth)
        errs += [
            m.hairs[p].thickness_um - truth[q].diameter_um for p, q in pd.pairs if m.hairs[p].thickness_um
        ]
    assert true > 30
    assert abs(got - true) / true <= 0.3
    assert 2 * tp / (2 * tp + fp + fn) >= 0.15
    assert np.median(np.abs(errs)) <= 40.0
