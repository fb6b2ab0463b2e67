"""Camera optics and sensor: lighting, vignetting, glare, bubbles, defocus, noise, JPEG."""

from __future__ import annotations

import math

import cv2
import numpy as np

from trichometry.synth.skin import soft_blur
from trichometry.synth.view import View


def apply_contact_artifacts(img: np.ndarray, view: View) -> None:
    """Air bubbles and specular glare between the contact plate and skin (in place).

    Args:
        img: ``(H, W, 3)`` float32 RGB in [0, 1].
    """
    h, w = img.shape[:2]
    if len(view.bubbles):
        rim = np.zeros((h, w), dtype=np.float32)
        inner = np.zeros((h, w), dtype=np.float32)
        spec = np.zeros((h, w), dtype=np.float32)
        for x, y, r in np.asarray(view.bubbles, dtype=float):
            c = (round(x * 4), round(y * 4))
            t = max(1, round(r * 0.06))
            cv2.circle(rim, c, round(r * 4), 1.0, t, cv2.LINE_AA, shift=2)
            cv2.circle(inner, c, round(r * 4), 1.0, -1, cv2.LINE_AA, shift=2)
            hc = (round((x - 0.35 * r) * 4), round((y - 0.35 * r) * 4))
            cv2.circle(spec, hc, max(4, round(r * 0.7)), 1.0, -1, cv2.LINE_AA, shift=2)
        rim = cv2.GaussianBlur(rim, (0, 0), 1.0)
        inner = cv2.GaussianBlur(inner, (0, 0), 2.0)
        spec = cv2.GaussianBlur(spec * inner, (0, 0), 1.5)
        img *= 1.0 - 0.55 * rim[..., None]
        img += (1.0 - img) * (0.08 * inner + 0.5 * spec)[..., None]
    if len(view.glare):
        layer = np.zeros((h, w), dtype=np.float32)
        for x, y, r, s in np.asarray(view.glare, dtype=float):
            cv2.circle(
                layer, (round(x * 4), round(y * 4)), max(4, round(r * 4)), float(s), -1, cv2.LINE_AA, shift=2
            )
        sig = max(2.0, 0.08 * min(h, w))
        layer = soft_blur(layer, sig)
        white = np.array([0.97, 0.98, 1.0], dtype=np.float32)
        img += (white - img) * np.clip(layer, 0, 1)[..., None]


def apply_etched_scale(img: np.ndarray, view: View) -> np.ndarray:
    """Dark ticks of a millimetre scale on the contact plate, along the top edge (in place).

    Returns:
        ``(H, W)`` uint8 mask of the tick pixels (before blur), for the overlay mask.
    """
    h, w = img.shape[:2]
    mask = np.zeros((h, w), dtype=np.uint8)
    if not view.etched_scale:
        return mask
    step = 100.0 / view.um_per_px  # 0.1 mm
    if step < 3:
        step *= 5.0  # too fine to resolve: every 0.5 mm
    y0 = round(0.04 * h)
    t = max(1, round(6.0 / view.um_per_px))
    x, k = 0.05 * w, 0
    while x < 0.95 * w:
        major = k % 10 == 0 or (step >= 15 and k % 5 == 0)
        length = (0.05 if major else 0.025) * h
        cv2.line(
            mask, (round(x * 4), y0 * 4), (round(x * 4), round((y0 + length) * 4)), 1, t, cv2.LINE_AA, shift=2
        )
        x += step
        k += 1
    cv2.line(mask, (round(0.05 * w), y0), (round(x - step), y0), 1, t, cv2.LINE_AA)
    img *= 1.0 - 0.55 * mask[..., None].astype(np.float32)
    return mask


def apply_lighting(img: np.ndarray, view: View) -> None:
    """Exposure, white balance, illumination gradient and vignetting (in place)."""
    h, w = img.shape[:2]
    xs = (np.arange(w, dtype=np.float32) - (w - 1) / 2) / max(w, h)
    ys = (np.arange(h, dtype=np.float32) - (h - 1) / 2) / max(w, h)
    a = math.radians(view.illumination_deg)
    ramp = xs[None, :] * math.cos(a) + ys[:, None] * math.sin(a)
    r2 = (xs[None, :] ** 2 + ys[:, None] ** 2) / (0.25 + 0.25 * (min(w, h) / max(w, h)) ** 2)
    exposure = view.exposure
    if view.auto_exposure > 0:  # the camera pulls the mean brightness towards mid-grey
        exposure *= (0.5 / max(float(img.mean()), 1e-3)) ** float(view.auto_exposure)
    gain = exposure * (1.0 + 2.0 * view.illumination_gradient * ramp) * (1.0 - view.vignetting * r2 * 0.5)
    img *= gain.astype(np.float32)[..., None]
    img *= np.asarray(view.white_balance, dtype=np.float32)[None, None, :]


def apply_sensor(img: np.ndarray, view: View, rng: np.random.Generator) -> np.ndarray:
    """Defocus blur, sensor noise and quantisation.

    Returns:
        ``(H, W, 3)`` uint8 RGB.
    """
    img = _defocus(img, view)
    if view.noise_sigma > 0:  # shot + read noise, its sigma set by the local brightness
        lum = np.clip(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 0.0, 1.0)
        sigma = np.sqrt(0.3 + 0.7 * lum) * np.float32(view.noise_sigma / 255.0)
        noise = rng.standard_normal(img.shape, dtype=np.float32)
        noise *= sigma[..., None]
        img = img + noise
    img *= 255.0
    img += 0.5
    return np.clip(img, 0, 255).astype(np.uint8)


def _defocus(img: np.ndarray, view: View) -> np.ndarray:
    """Gaussian defocus whose sigma may grow linearly across the frame (tilted plate)."""
    s0 = float(view.defocus_px)
    if s0 <= 0.05:
        return img
    near = cv2.GaussianBlur(img, (0, 0), s0)
    if view.defocus_tilt <= 0.01:
        return near
    far = cv2.GaussianBlur(img, (0, 0), s0 * (1.0 + float(view.defocus_tilt)))
    h, w = img.shape[:2]
    a = math.radians(view.defocus_deg)
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32) * (w / max(w, h))
    ys = np.linspace(-0.5, 0.5, h, dtype=np.float32) * (h / max(w, h))
    t = np.clip(0.5 + xs[None, :] * math.cos(a) + ys[:, None] * math.sin(a), 0.0, 1.0)[..., None]
    return near + (far - near) * t


def apply_jpeg(img: np.ndarray, quality: int | None) -> np.ndarray:
    """Round-trip an RGB uint8 image through JPEG at ``quality`` (None: unchanged)."""
    if quality is None:
        return img
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        return img
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
