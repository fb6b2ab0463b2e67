"""Write analysis outputs atomically: ``<stem>.json``, ``<stem>_overlay.png``, ``measurements.csv``."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from trichometry.errors import OutputError
from trichometry.outputs.schema import CSV_COLUMNS
from trichometry.utils.atomic import atomic_write_bytes, atomic_write_text

__all__ = ["write_csv", "write_json", "write_png"]


def write_json(path: str | os.PathLike[str], doc: dict[str, Any]) -> Path:
    """Write a JSON document (UTF-8, indented, NaN refused) atomically."""
    try:
        text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise OutputError(f"cannot write {path}: the result holds a non-finite number ({exc}).") from exc
    return atomic_write_text(path, text + "\n")


def write_png(path: str | os.PathLike[str], image_rgb: np.ndarray) -> Path:
    """Write an ``(H, W, 3)`` uint8 RGB image as PNG atomically."""
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image_rgb[..., ::-1]))
    if not ok:
        raise OutputError(f"cannot encode {path} as PNG.")
    return atomic_write_bytes(path, buf.tobytes())


def write_csv(
    path: str | os.PathLike[str], rows: Iterable[dict[str, Any]], columns: Iterable[str] = CSV_COLUMNS
) -> Path:
    """Write rows (dicts) as CSV with a header, atomically."""
    cols = list(columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return atomic_write_text(path, buf.getvalue())
