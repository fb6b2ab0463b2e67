"""Find burned-in overlays (text strips, label boxes, scale bars, measurement circles).

Dermoscope software draws on the photo: a flat grey strip with text, dark label boxes
(``1.0 mm``, patient id, date), an L-shaped scale bar of thin dark lines, and coloured
measurement circles with a text box. Hairs under them cannot be seen, and the graphics
can look like hairs, so they are masked out of the analysed area (density uses the
remaining area). Three cues, each cheap and independent of the hair detector:

* **flat patches**: graphics are painted in one exact grey; skin never is (sensor noise,
  texture). Large near-constant, low-chroma components that fill their bounding box
  are masked with the whole box (which covers the text inside it).
* **overlay colours**: pure red / green / blue strokes (one channel dominating the other
  two by far more than skin, hair or pigment ever do). Strokes are masked with a margin;
  dense clusters (text) are masked as blocks.
* **text strips**: a header or footer of label boxes; its border is a grey-level step
  that runs along most of one image row near the top or bottom edge.
* **ruler lines**: thin (1-3 px) dark lines that run exactly horizontal or vertical for a
  long stretch; hairs are wider at trichoscopy scales and never ruler-straight.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trichometry.quality.metrics import channel_max_min as _channel_max_min

__all__ = ["OverlayParams", "detect_overlays"]


@dataclass(frozen=True)
class OverlayParams:
    """Thresholds of the overlay detector (defaults checked on real 70x images).

    Attributes:
        flat_std: max local standard deviation (grey levels, 5x5) of a painted patch.
        flat_chroma: max channel spread of a painted (grey) patch.
        flat_min_area_frac: min patch area as a fraction of the image (1280x1024: ~130 px).
        flat_min_fill: min fraction of its bounding box a patch must fill (rectangles).
        flat_spread: max 2-98 % grey range inside a patch (painted patches are one colour).
        colour_dominance: min margin of one channel over both others for an overlay colour
            (skin, hair and pigment stay below ~50 on real images; red strokes reach 150+).
        blue_dominance: the same for blue (bluish skin under cold light reaches ~80).
        strip_band_frac: how far from the top/bottom edge a text strip may reach.
        strip_edge_step: grey-level step that counts as a box border.
        strip_edge_frac: min fraction of the width a box border must span.
        line_min_len_frac: min length of a ruler line as a fraction of the shorter side.
        line_max_width_px: max width of a ruler line at 1280 px image width.
        margin_frac: margin added around every overlay, fraction of the shorter side.
    """

    flat_std: float = 1.5
    flat_chroma: int = 12
    flat_min_area_frac: float = 5e-4
    flat_min_fill: float = 0.55
    flat_spread: float = 6.0
    colour_dominance: int = 65
    blue_dominance: int = 95
    strip_band_frac: float = 0.08
    strip_edge_step: int = 20
    strip_edge_frac: float = 0.4
    line_min_len_frac: float = 0.06
    line_max_width_px: int = 3
    margin_frac: float = 0.004


def _local_std(grey: np.ndarray, k: int = 5) -> np.ndarray:
    g = grey.astype(np.float32)
    mean = cv2.blur(g, (k, k))
    sq = cv2.blur(g * g, (k, k))
    return np.sqrt(np.maximum(sq - mean * mean, 0))


def _flat_patches(img: np.ndarray, p: OverlayParams) -> np.ndarray:
    h, w = img.shape[:2]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    v, lo_c = _channel_max_min(img)
    chroma = cv2.subtract(v, lo_c)
    std = _local_std(grey)  # paint is grey: chroma is checked separately
    flat = (std < p.flat_std) & (chroma <= p.flat_chroma) & (v < 250)  # >= 250 flat is glare
    out = np.zeros((h, w), bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(flat.astype(np.uint8), connectivity=8)
    min_area = max(60, p.flat_min_area_frac * h * w)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < min_area or min(bw, bh) < 4:
            continue
        if area / float(bw * bh) < p.flat_min_fill:
            continue
        vals = grey[y : y + bh, x : x + bw][labels[y : y + bh, x : x + bw] == i]
        lo, hi = np.percentile(vals, [2, 98])
        if hi - lo > p.flat_spread:  # smooth skin drifts; paint is one colour
            continue
        out[y : y + bh, x : x + bw] = True
    return out


def _text_strips(img: np.ndarray, p: OverlayParams) -> np.ndarray:
    """Header/footer strips of label boxes: a box border spans most of the width on one row."""
    h, w = img.shape[:2]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.int16)
    # a step between rows y and y+2 (an anti-aliased or JPEG-softened border spreads over
    # two rows), anywhere in rows y..y+4 (boxes of one strip may end a row or two apart)
    step = np.abs(grey[2:] - grey[:-2]) > p.strip_edge_step
    step = step[:-2] | step[1:-1] | step[2:]  # (H-4, W)
    frac = step.mean(axis=1)
    band = max(2, round(p.strip_band_frac * h))
    out = np.zeros((h, w), bool)
    top = np.flatnonzero(frac[:band] >= p.strip_edge_frac)
    if top.size:
        out[: top.max() + 4] = True
    start = max(0, h - 4 - band)
    bottom = np.flatnonzero(frac[start:] >= p.strip_edge_frac)
    if bottom.size:
        out[start + bottom.min() + 1 :] = True
    return out


def _text_blocks(strokes: np.ndarray, k: int) -> np.ndarray:
    """Blocks of text among strokes of one colour: dense clusters, and the box joining them."""
    h, w = strokes.shape
    closed = cv2.morphologyEx(strokes.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    blocks = np.zeros((h, w), np.uint8)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area >= 0.3 * bw * bh and bw * bh >= 4 * k * k:  # dense cluster: a line of text
            blocks[y : y + bh, x : x + bw] = 1
    if not blocks.any():
        return blocks.astype(bool)
    # lines of one text box sit about a line height apart: join them (and the sparser
    # strokes of short lines such as "RC0") with the box between them, since hairs
    # there lie behind a semi-transparent label
    kk = 2 * k + 1
    joined = cv2.morphologyEx(blocks | closed, cv2.MORPH_CLOSE, np.ones((kk, kk), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    has_block = np.zeros(n, bool)
    has_block[np.unique(labels[blocks > 0])] = True
    out = np.zeros((h, w), bool)
    for i in np.flatnonzero(has_block[1:]) + 1:
        x, y, bw, bh, _area = stats[i]
        out[max(0, y - k // 2) : y + bh + k // 2, max(0, x - k // 2) : x + bw + k // 2] = True
    return out


def _colour_strokes(img: np.ndarray, p: OverlayParams) -> np.ndarray:
    i16 = img.astype(np.int16)
    r, g, b = i16[..., 0], i16[..., 1], i16[..., 2]
    h, w = r.shape
    k = max(5, round(0.025 * min(h, w)))
    out = np.zeros((h, w), bool)
    for dom, base in (
        (r - np.maximum(g, b), p.colour_dominance),
        (g - np.maximum(r, b), p.colour_dominance),
        (b - np.maximum(r, g), p.blue_dominance),
    ):
        # adaptive: a stroke must also stand out from this image's own colour cast
        # (cold light makes whole images bluish; strokes cover far less than 2 %)
        thr = max(base, float(np.percentile(dom[::4, ::4], 98)) + 30)
        strokes = dom > thr
        if strokes.any():
            # per colour, so a red circle passing a blue label does not grow the label's box
            out |= strokes | _text_blocks(strokes, k)
    return out


def _ruler_lines(img: np.ndarray, p: OverlayParams) -> np.ndarray:
    h, w = img.shape[:2]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    width = max(2, round(p.line_max_width_px * max(h, w) / 1280))
    se = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    dark_thin = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, se)  # dark features narrower than se
    cand = (dark_thin > 15).astype(np.uint8)
    length = max(20, round(p.line_min_len_frac * min(h, w)))
    out = np.zeros((h, w), bool)
    for axis, kernel in ((0, np.ones((1, length), np.uint8)), (1, np.ones((length, 1), np.uint8))):
        runs = cv2.morphologyEx(cand, cv2.MORPH_OPEN, kernel)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        for i in range(1, n):
            x, y, bw, bh = stats[i, :4]
            across = bh if axis == 0 else bw  # a ruler line is thin across its run;
            if across > width + 1:  # a slightly tilted hair leaves a band as thick as the hair
                continue
            # a ruler line has skin on both sides; the dark rim of a hair has the hair on one
            off = width + 2
            if axis == 0:
                a = grey[max(0, y - off) : max(1, y - off + 2), x : x + bw]
                b = grey[y + bh + off - 2 : y + bh + off, x : x + bw]
            else:
                a = grey[y : y + bh, max(0, x - off) : max(1, x - off + 2)]
                b = grey[y : y + bh, x + bw + off - 2 : x + bw + off]
            line = float(np.mean(grey[y : y + bh, x : x + bw][labels[y : y + bh, x : x + bw] == i]))
            sides = [float(np.mean(s)) for s in (a, b) if s.size]
            if sides and min(sides) - line < 15:
                continue
            if len(sides) == 2 and abs(sides[0] - sides[1]) > 0.5 * (min(sides) - line):
                continue  # the two sides differ: an edge of something, not a line on skin
            out |= labels == i
    return out


def detect_overlays(
    img: np.ndarray, params: OverlayParams | None = None
) -> tuple[np.ndarray, dict[str, float]]:
    """Mask burned-in overlays.

    Args:
        img: ``(H, W, 3)`` uint8 RGB.
        params: thresholds (defaults: :class:`OverlayParams`).

    Returns:
        ``(mask, fractions)``: ``(H, W)`` bool, True on overlay pixels (with a margin), and
        the image fraction each cue found (``flat``, ``strips``, ``colour``, ``lines``) plus ``total``.
    """
    p = params or OverlayParams()
    h, w = img.shape[:2]
    parts = {
        "flat": _flat_patches(img, p),
        "strips": _text_strips(img, p),
        "colour": _colour_strokes(img, p),
        "lines": _ruler_lines(img, p),
    }
    mask = parts["flat"] | parts["strips"] | parts["colour"] | parts["lines"]
    margin = max(1, round(p.margin_frac * min(h, w)))
    if mask.any():
        se = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
        mask = cv2.dilate(mask.astype(np.uint8), se).astype(bool)
    fractions = {k: float(v.mean()) for k, v in parts.items()}
    fractions["total"] = float(mask.mean())
    return mask, fractions
