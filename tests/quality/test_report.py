"""Quality control: blur, exposure, glare and overlay masking on generated images."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from trichometry.quality import assess_quality, detect_overlays, edge_blur_px, glare_mask
from trichometry.synth import generate_sample

CLEAN = dict(width=320, height=256, um_per_px=3.0, defocus_px=0.8, glare_spots=0)
CLEAN.update(p_strip=0.0, p_scale_bar=0.0, p_circle=0.0)


def scene(seed: int = 0, h: int = 256, w: int = 320) -> np.ndarray:
    """A hand-made scalp-like image: textured skin, dark hairs 4-14 px wide, sensor noise.

    Independent of the generator, so these tests pin the QC itself.
    """
    rng = np.random.default_rng(seed)
    low = cv2.resize(rng.normal(0, 1, (8, 10)), (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.empty((h, w, 3))
    img[...] = (205, 165, 150)
    img += 10 * low[..., None]
    for _ in range(14):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        a = rng.uniform(0, np.pi)
        length = rng.uniform(40, 120)
        p0 = (round(x), round(y))
        p1 = (round(x + length * np.cos(a)), round(y + length * np.sin(a)))
        cv2.line(img, p0, p1, (50, 40, 35), int(rng.integers(4, 15)), cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (0, 0), 0.8)
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return scene()


def test_sharp_image_is_ok(clean: np.ndarray) -> None:
    q = assess_quality(clean, um_per_px=3.0)
    assert q.verdict == "ok", q.reasons
    assert q.valid_mask.shape == clean.shape[:2] and q.valid_mask.mean() > 0.97
    assert q.to_dict()["metrics"]["edge_blur_um"] < 15


def test_generated_defocus_raises_the_blur_estimate() -> None:
    est = [edge_blur_px(generate_sample(3, **{**CLEAN, "defocus_px": d}).image) for d in (0.8, 3.0, 6.0)]
    assert est[0] < est[1] < est[2], est


def test_blur_estimate_grows_with_blur_and_is_flagged(clean: np.ndarray) -> None:
    est = [edge_blur_px(cv2.GaussianBlur(clean, (0, 0), s)) for s in (1, 4, 8, 16)]
    assert all(a < b for a, b in itertools.pairwise(est)), est
    assert est[2] == pytest.approx(8, rel=0.15)  # the estimate is a sigma in pixels
    mild = assess_quality(cv2.GaussianBlur(clean, (0, 0), 11), um_per_px=3.0)
    assert mild.verdict == "warn" and any("focus" in r for r in mild.reasons)
    bad = assess_quality(cv2.GaussianBlur(clean, (0, 0), 20), um_per_px=3.0)
    assert bad.verdict == "reject" and any("out of focus" in r for r in bad.reasons)


def test_over_and_under_exposure_rejected(clean: np.ndarray) -> None:
    over = np.clip(clean.astype(float) * 2.2, 0, 255).astype(np.uint8)
    q = assess_quality(over, um_per_px=3.0)
    assert q.verdict == "reject" and any("over-exposed" in r for r in q.reasons)
    under = (clean.astype(float) * 0.05).astype(np.uint8)
    q = assess_quality(under, um_per_px=3.0)
    assert q.verdict == "reject" and any("under-exposed" in r for r in q.reasons)


def test_uniform_image_rejected() -> None:
    q = assess_quality(np.full((128, 128, 3), 128, np.uint8))
    assert q.verdict == "reject"


def test_glare_blob_masked(clean: np.ndarray) -> None:
    img = clean.copy()
    cv2.circle(img, (100, 100), 30, (255, 255, 255), -1)
    g = glare_mask(img)
    assert g[100, 100] and g[100, 131] and not g[10, 300]
    q = assess_quality(img, um_per_px=3.0)
    assert not q.valid_mask[100, 100] and q.metrics["glare_fraction"] > 0.03


def test_drawn_overlays_masked(clean: np.ndarray) -> None:
    img = clean.copy()
    h, _w = img.shape[:2]
    img[h - 12 :] = 220  # footer strip
    cv2.putText(img, "2025-06-04 65x", (5, h - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (60, 60, 60), 1)
    cv2.circle(img, (160, 120), 70, (215, 30, 35), 1, cv2.LINE_AA)  # red measurement circle
    cv2.line(img, (20, 200), (20, 120), (45, 45, 50), 1)  # L-shaped scale bar
    cv2.line(img, (20, 200), (100, 200), (45, 45, 50), 1)
    drawn = np.any(img != clean, axis=2)
    mask, parts = detect_overlays(img)
    assert (mask & drawn).sum() / drawn.sum() > 0.9, parts
    clean_mask, _ = detect_overlays(clean)
    assert clean_mask.mean() < 0.01
    q = assess_quality(img, um_per_px=3.0)
    assert not q.valid_mask[h - 5, 150] and not q.valid_mask[50, 160]  # strip, circle top
    assert q.valid_mask[120, 160]  # circle interior stays analysed


def test_generated_overlays_mostly_masked() -> None:
    # a full-size 70x frame with a header strip, scale bar, red circle and label box
    kw = {**CLEAN, "width": 1280, "height": 1024, "um_per_px": 2.8}
    s = generate_sample(4, **{**kw, "p_strip": 1.0, "p_scale_bar": 1.0, "p_circle": 1.0})
    truth = s.targets.overlay_mask > 0
    mask, _ = detect_overlays(s.image)
    assert (mask & truth).sum() / truth.sum() > 0.9
    assert (mask & ~truth).mean() < 0.04  # mostly the safety margin around thin strokes


@pytest.mark.fdu
def test_real_images_mostly_ok(fdu_root) -> None:
    from trichometry.io import read_image

    names = sorted((fdu_root / "images").glob("*.jpg"))[::150][:8]
    verdicts = [assess_quality(read_image(p, um_per_px=2.8).image, 2.8).verdict for p in names]
    assert verdicts.count("reject") == 0 and verdicts.count("ok") >= 6, verdicts
