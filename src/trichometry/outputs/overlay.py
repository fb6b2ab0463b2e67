"""The overlay picture: every counted hair drawn on the image, coloured by thickness class.

Each hair is a line from its exit point (filled dot) to its visible end, coloured by its
diameter class under the result's convention; areas excluded from the analysis (burned-in
overlays, glare, outside the ROI) are outlined, never filled, so the photo stays visible
under them; a legend in a strip below the photo (never
over it, so it hides no hair) names the convention, its cut-offs, the counts and the
density. Uncalibrated images have no classes: hairs are drawn in one colour and the legend
says so.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

__all__ = ["CLASS_COLOURS", "draw_hairs", "legend_strip", "render_overlay", "with_legend"]

#: RGB colours by class position from thinnest to thickest (vellus ... terminal)
CLASS_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 220, 0),  # vellus: yellow
    (0, 200, 255),  # intermediate: cyan
    (255, 60, 200),  # terminal: magenta
    (80, 255, 80),
    (255, 140, 0),
)
UNKNOWN_COLOUR = (200, 200, 200)
UNCALIBRATED_COLOUR = (0, 255, 120)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _class_colour(labels: list[str]) -> dict[str, tuple[int, int, int]]:
    if len(labels) == 2:  # vellus / terminal (or non-vellus)
        return {labels[0]: CLASS_COLOURS[0], labels[1]: CLASS_COLOURS[2]}
    return {lab: CLASS_COLOURS[i % len(CLASS_COLOURS)] for i, lab in enumerate(labels)}


#: border of an area that was not analysed (overlays, glare, outside the ROI)
OUTLINE_COLOUR = (0, 220, 255)

#: background of the legend strip (outside the photo)
STRIP_COLOUR = (32, 32, 32)


def legend_strip(
    lines: list[tuple[str, tuple[int, int, int] | None]], width: int, scale: float
) -> np.ndarray:
    """The legend as its own picture, ``width`` wide (wider if a line needs it), in columns.

    It goes below the photo, so no hair is ever hidden under it.
    """
    fs = 0.5 * scale
    th = max(1, round(scale))
    sizes = [cv2.getTextSize(t, _FONT, fs, th)[0] for t, _ in lines]
    step = max(s[1] for s in sizes) + round(8 * scale)
    sw = round(14 * scale)
    pad = round(8 * scale)
    col_w = max(s[0] for s in sizes) + sw + round(24 * scale)
    n_cols = max(1, min(len(lines), (width - pad) // col_w))
    per_col = -(-len(lines) // n_cols)
    out_w = max(width, n_cols * col_w + pad)
    strip = np.empty((step * per_col + 2 * pad, out_w, 3), np.uint8)
    strip[:] = STRIP_COLOUR
    for k, (text, colour) in enumerate(lines):
        col, r = divmod(k, per_col)
        x = pad + col * col_w
        y = pad + step * (r + 1) - round(4 * scale)
        if colour is not None:
            cv2.rectangle(strip, (x, y - sw + 2), (x + sw, y + 2), colour, -1)
            x += sw + round(8 * scale)
        cv2.putText(strip, text, (x, y), _FONT, fs, (255, 255, 255), th, cv2.LINE_AA)
    return strip


def with_legend(photo: np.ndarray, strip: np.ndarray) -> np.ndarray:
    """``photo`` at the top left, ``strip`` below it; the photo area is left exactly as drawn."""
    h, w = photo.shape[:2]
    out = np.empty((h + strip.shape[0], max(w, strip.shape[1]), 3), np.uint8)
    out[:] = STRIP_COLOUR
    out[:h, :w] = photo
    out[h:, : strip.shape[1]] = strip
    return out


def render_overlay(result: Any, doc: dict[str, Any] | None = None) -> np.ndarray:
    """Draw one analysis result, with its legend in a strip below the photo.

    Args:
        result: :class:`~trichometry.analysis.AnalysisResult`.
        doc: its JSON document (computed when None).

    Returns:
        ``(H + strip, max(W, legend width), 3)`` uint8 RGB picture; its top-left ``(H, W)``
        is the photo with the hairs drawn (:func:`draw_hairs`) and nothing else.
    """
    doc = doc if doc is not None else result.to_dict()
    photo = draw_hairs(result, doc)
    h, w = photo.shape[:2]
    scale = max(0.6, min(h, w) / 700.0)
    return with_legend(photo, legend_strip(legend_lines(result, doc), w, scale))


def draw_hairs(result: Any, doc: dict[str, Any]) -> np.ndarray:
    """The photo with every counted hair drawn and the unanalysed areas outlined (no legend)."""
    img = result.image.copy()
    h, w = img.shape[:2]
    scale = max(0.6, min(h, w) / 700.0)
    area = result.quality.valid_mask.copy()
    m = result.measurement
    if m is not None:
        from trichometry.measure import Roi

        roi = doc.get("roi") or {}
        if roi.get("kind") == "circle":
            area &= Roi.circle(roi["cx_px"], roi["cy_px"], roi["r_px"]).mask((h, w))
        elif roi.get("kind") == "polygon":
            area &= Roi.polygon([tuple(p) for p in roi["points_px"]]).mask((h, w))
    outline_areas(img, ~area, max(1, round(scale)))
    conv = doc.get("convention") or {}
    labels = list(conv.get("labels", []))
    colours = _class_colour(labels)
    calibrated = doc.get("um_per_px") is not None
    thick = max(1, round(1.5 * scale))
    dot = max(3, round(4 * scale))
    for hair in doc.get("hairs", []):
        if calibrated:
            colour = colours.get(hair.get("class"), UNKNOWN_COLOUR)
        else:
            colour = UNCALIBRATED_COLOUR
        p0 = (round(hair["x_px"]), round(hair["y_px"]))
        p1 = (round(hair["end_x_px"]), round(hair["end_y_px"]))
        cv2.line(img, p0, p1, colour, thick, cv2.LINE_AA)
        cv2.circle(img, p0, dot, colour, -1, cv2.LINE_AA)
        cv2.circle(img, p0, dot, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def outline_areas(img: np.ndarray, masked: np.ndarray, thickness: int) -> None:
    """Draw the border of each ``masked`` region on ``img`` (in place); its inside is left as is."""
    if not masked.any() or masked.all():
        return
    contours, _ = cv2.findContours(masked.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(img, contours, -1, OUTLINE_COLOUR, thickness, cv2.LINE_8)


def legend_lines(result: Any, doc: dict[str, Any]) -> list[tuple[str, tuple[int, int, int] | None]]:
    """The legend's lines (text, colour swatch or ``None``)."""
    conv = doc.get("convention") or {}
    labels = list(conv.get("labels", []))
    colours = _class_colour(labels)
    calibrated = doc.get("um_per_px") is not None
    lines: list[tuple[str, tuple[int, int, int] | None]] = []
    if result.status == "rejected":
        lines.append(("REJECTED by quality control:", None))
        lines += [(r[:70], None) for r in result.quality.reasons[:4]]
    elif calibrated:
        cuts = conv.get("cutoffs_um", [])
        counts = doc.get("class_counts") or {}
        for i, lab in enumerate(labels):
            if i == 0:
                rng = f"< {cuts[0]:g} um"
            elif i == len(cuts):
                rng = f">= {cuts[-1]:g} um"
            else:
                rng = f"{cuts[i - 1]:g}-{cuts[i]:g} um"
            lines.append((f"{lab} {rng}: {counts.get(lab, 0)}", colours[lab]))
        if any(hair.get("class") is None for hair in doc.get("hairs", [])):
            lines.append(("no thickness measured", UNKNOWN_COLOUR))
        dens = doc.get("density_per_cm2")
        lines.append((f"convention: {conv.get('name')}", None))
        lines.append((f"{doc.get('hair_count')} hairs, {dens:.0f}/cm2" if dens is not None else "", None))
    else:
        lines.append((f"{doc.get('hair_count')} hairs (uncalibrated: no classes,", UNCALIBRATED_COLOUR))
        lines.append(("no density; give --um-per-px or --device)", None))
    lines.append(("dot = exit point; outlined = not analysed", None))
    return [ln for ln in lines if ln[0]]
