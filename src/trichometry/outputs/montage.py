"""One picture of what an analysis and a visit comparison look like, side by side.

``trichometry demo`` writes it as ``overview.png`` (README's first picture is a copy): an
analysed photo's overlay (every hair drawn, legend below) next to the registered
comparison of a follow-up with its baseline (kept, lost, new hairs).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from trichometry.utils.atomic import atomic_write_bytes
from trichometry.utils.encoding import encode_png

GAP_PX = 16
BACKGROUND = (255, 255, 255)


def side_by_side(pictures: list[np.ndarray], height: int = 520) -> np.ndarray:
    """``pictures`` (RGB) scaled to one ``height`` and placed left to right on white."""
    scaled = []
    for p in pictures:
        w = max(1, round(p.shape[1] * height / p.shape[0]))
        scaled.append(cv2.resize(p, (w, height), interpolation=cv2.INTER_AREA))
    width = sum(p.shape[1] for p in scaled) + GAP_PX * (len(scaled) - 1)
    out = np.full((height, width, 3), BACKGROUND, np.uint8)
    x = 0
    for p in scaled:
        out[:, x : x + p.shape[1]] = p
        x += p.shape[1] + GAP_PX
    return out


def write_overview(photo_overlay: Path, comparison: Path, out: Path, height: int = 520) -> Path:
    """Read two PNGs, write them side by side to ``out`` (whole or not at all)."""
    pics = []
    for path in (photo_overlay, comparison):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f"{path} is not a readable picture")
        pics.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    atomic_write_bytes(out, encode_png(side_by_side(pics, height)))
    return out
