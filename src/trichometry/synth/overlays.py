"""Burned-in overlays as trichoscopy software draws them.

Styles copied from real 70x device images: a light grey strip (RGB 220) along the
bottom, optionally with dark text, or a header row of dark boxes with light text
(patient code, size, date, unit, magnification); an L-shaped scale bar of thin dark lines
with a "1.0 mm" label in white on a dark grey box; a thin red measurement circle with
a pale text box of blue lines (``RC0``, circumference, area, radius).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from trichometry.synth.view import View

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def draw_overlays(img: np.ndarray, view: View) -> np.ndarray:
    """Draw the view's overlays onto ``img`` (in place).

    Args:
        img: ``(H, W, 3)`` uint8 RGB.

    Returns:
        ``(H, W)`` uint8 mask, 1 where an overlay replaced image content.
    """
    h, w = img.shape[:2]
    before = img.copy()
    scale = max(h, w) / 1280.0
    if view.circle is not None:
        _circle(img, view, scale)
    if view.scale_bar:
        _scale_bar(img, view, scale)
    if view.strip == "bottom":
        sh = max(2, round(32 * h / 1024))
        img[h - sh :] = 220
        if view.strip_text and sh >= 10:
            fs = 0.7 * sh / 32
            org = (round(10 * scale), h - sh + round(sh * 0.7))
            cv2.putText(img, view.strip_text, org, _FONT, fs, (60, 60, 60), 1, cv2.LINE_AA)
    elif view.strip == "top":
        _header(img, view, scale)
    return np.any(img != before, axis=2).astype(np.uint8)


def _header(img: np.ndarray, view: View, scale: float) -> None:
    """A row of dark boxes with light text at the top, as capture software burns in."""
    h, w = img.shape[:2]
    fields = (view.strip_text or "").split("|")
    fields = [f.strip() for f in fields if f.strip()] or [f"{w}x{h}"]
    fs = 0.9 * scale
    x = round(8 * scale)
    y = round(32 * scale)
    for k, text in enumerate(fields):
        (tw, _), _ = cv2.getTextSize(text, _FONT, fs, 1)
        fg = (40, 230, 230) if k == 0 else (235, 235, 235)
        _label(img, text, (x, y), fs, fg, (80, 80, 80), 0.92)
        x += tw + round(14 * scale)
        if x > w:
            break


def _label(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    fs: float,
    fg: tuple[int, int, int],
    bg: tuple[int, int, int],
    alpha: float,
) -> None:
    (tw, th), base = cv2.getTextSize(text, _FONT, fs, 1)
    pad = max(1, round(th * 0.3))
    x0, y0 = org[0] - pad, org[1] - th - pad
    x1, y1 = org[0] + tw + pad, org[1] + base + pad
    h, w = img.shape[:2]
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if xb > xa and yb > ya:
        roi = img[ya:yb, xa:xb].astype(np.float32)
        img[ya:yb, xa:xb] = (roi * (1 - alpha) + np.asarray(bg, np.float32) * alpha + 0.5).astype(np.uint8)
    cv2.putText(img, text, org, _FONT, fs, fg, 1, cv2.LINE_AA)


def _scale_bar(img: np.ndarray, view: View, scale: float) -> None:
    h, w = img.shape[:2]
    for mm in (1.0, 0.5, 0.2, 0.1):
        n = mm * 1000.0 / view.um_per_px
        if n <= 0.45 * min(w, h):
            break
    n = round(n)
    if n < 8:
        return
    x0, y1 = round(45 * scale), h - round(120 * scale * h / 1024)
    col = (45, 45, 50)
    cv2.line(img, (x0, y1), (x0, y1 - n), col, 1, cv2.LINE_AA)
    cv2.line(img, (x0, y1), (x0 + n, y1), col, 1, cv2.LINE_AA)
    fs = 0.65 * scale
    _label(
        img,
        f"{mm:.1f} mm",
        (x0 + n + round(26 * scale), y1 + round(8 * scale)),
        fs,
        (255, 255, 255),
        (70, 70, 72),
        0.85,
    )


def _circle(img: np.ndarray, view: View, scale: float) -> None:
    x, y, r = view.circle  # type: ignore[misc]
    t = max(1, round(scale))
    cv2.circle(img, (round(x * 4), round(y * 4)), round(r * 4), (215, 30, 35), t, cv2.LINE_AA, shift=2)
    r_mm = r * view.um_per_px / 1000.0
    lines = ["RC0", f"C={2 * math.pi * r_mm:.3f} mm", f"A={math.pi * r_mm**2:.3f} mm^2", f"r={r_mm:.3f} mm"]
    h, w = img.shape[:2]
    fs = 0.9 * scale
    (tw, th), _ = cv2.getTextSize(lines[1], _FONT, fs, 1)
    step = round(th * 1.9)
    bx = int(np.clip(x + 0.7 * r, 5, max(5, w - tw - 20)))
    by = int(np.clip(y - 0.7 * r, 5 + th, max(5 + th, h - 4 * step)))
    bw, bh = tw + round(20 * scale), 4 * step + round(6 * scale)
    xa, ya, xb, yb = max(bx - 8, 0), max(by - th - 8, 0), min(bx - 8 + bw, w), min(by - th - 8 + bh, h)
    if xb > xa and yb > ya:
        roi = img[ya:yb, xa:xb].astype(np.float32)
        img[ya:yb, xa:xb] = (roi * 0.3 + np.float32(200) * 0.7 + 0.5).astype(np.uint8)
    for k, line in enumerate(lines):
        cv2.putText(
            img, line, (bx, by + k * step), _FONT, fs, (30, 30, 230), max(1, round(scale)), cv2.LINE_AA
        )
