"""The overlay picture: every counted hair drawn on the image, coloured by thickness class.

Each hair is a line from its exit point (filled dot) to its visible end, coloured by its
diameter class under the result's convention; areas excluded from the analysis (burned-in
overlays, glare, outside the ROI) are dimmed; a legend names the convention, its cut-offs,
the counts and the density. Uncalibrated images have no classes: hairs are drawn in one
colour and the legend says so.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

__all__ = ["CLASS_COLOURS", "render_overlay"]

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


def _legend(
    img: np.ndarray,
    lines: list[tuple[str, tuple[int, int, int] | None]],
    scale: float,
    points: np.ndarray,
) -> None:
    """Draw the legend in the corner that hides the fewest hair lines/exit points."""
    fs = 0.5 * scale
    th = max(1, round(scale))
    sizes = [cv2.getTextSize(t, _FONT, fs, th)[0] for t, _ in lines]
    step = max(s[1] for s in sizes) + round(8 * scale)
    sw = round(14 * scale)
    w = max(s[0] for s in sizes) + sw + round(24 * scale)
    h = step * len(lines) + round(10 * scale)
    pad = round(8 * scale)
    H, W = img.shape[:2]
    corners = [(pad, pad), (W - w - pad, pad), (pad, H - h - pad), (W - w - pad, H - h - pad)]

    def hidden(c: tuple[int, int]) -> int:
        x, y = c
        inside = (points[:, 0] >= x) & (points[:, 0] < x + w) & (points[:, 1] >= y) & (points[:, 1] < y + h)
        return int(inside.sum())

    x0, y0 = min(corners, key=hidden)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x0 + w, W - 1), min(y0 + h, H - 1)
    roi = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = (roi * 0.35).astype(np.uint8)
    for k, (text, colour) in enumerate(lines):
        y = y0 + round(6 * scale) + step * (k + 1) - round(4 * scale)
        x = x0 + round(8 * scale)
        if colour is not None:
            cv2.rectangle(img, (x, y - sw + 2), (x + sw, y + 2), colour, -1)
            x += sw + round(8 * scale)
        cv2.putText(img, text, (x, y), _FONT, fs, (255, 255, 255), th, cv2.LINE_AA)


def render_overlay(result: Any, doc: dict[str, Any] | None = None) -> np.ndarray:
    """Draw one analysis result.

    Args:
        result: :class:`~trichometry.analysis.AnalysisResult`.
        doc: its JSON document (computed when None).

    Returns:
        ``(H, W, 3)`` uint8 RGB picture.
    """
    doc = doc if doc is not None else result.to_dict()
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
    img[~area] = (img[~area].astype(np.float32) * 0.4).astype(np.uint8)
    conv = doc.get("convention") or {}
    labels = list(conv.get("labels", []))
    colours = _class_colour(labels)
    calibrated = doc.get("um_per_px") is not None
    pts: list[tuple[float, float]] = []
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
        pts += [tuple(p0 + (np.asarray(p1) - p0) * f) for f in np.linspace(0, 1, 8)]
        cv2.circle(img, p0, dot, colour, -1, cv2.LINE_AA)
        cv2.circle(img, p0, dot, (0, 0, 0), 1, cv2.LINE_AA)
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
    lines.append(("dot = exit point; dimmed = not analysed", None))
    _legend(img, [ln for ln in lines if ln[0]], scale, np.asarray(pts, float).reshape(-1, 2))
    return img
