"""Box annotations of real images (one axis-aligned box per hair), as stored in the format.

A box annotation JSON (``annotations/ID.json`` of a ``boxes`` data set) is::

    {"annotation_type": "boxes", "schema_version": 1, "image_id": ..., "width": ...,
     "height": ..., "um_per_px": ..., "boxes": [{"xmin", "ymin", "xmax", "ymax",
     "label", "difficult"}, ...], "dropped": {"degenerate": n, ...}, "source": {...}}

Box corners are pixel coordinates in the image's convention (pixel centres at integers),
``xmin < xmax`` and ``ymin < ymax``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import DataFormatError

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Box:
    """One hair's box in pixels, corners sorted, strictly positive width and height."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    label: str
    difficult: bool = False

    def __post_init__(self) -> None:
        vals = (self.xmin, self.ymin, self.xmax, self.ymax)
        if not all(math.isfinite(v) for v in vals):
            raise DataFormatError(f"box {vals} has a non-finite corner.")
        if not (self.xmin < self.xmax and self.ymin < self.ymax):
            raise DataFormatError(f"box {vals} must satisfy xmin < xmax and ymin < ymax.")

    @property
    def centre(self) -> tuple[float, float]:
        return (0.5 * (self.xmin + self.xmax), 0.5 * (self.ymin + self.ymax))

    def to_dict(self) -> dict[str, Any]:
        return {
            "xmin": float(self.xmin),
            "ymin": float(self.ymin),
            "xmax": float(self.xmax),
            "ymax": float(self.ymax),
            "label": self.label,
            "difficult": bool(self.difficult),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Box:
        return cls(
            xmin=float(d["xmin"]),
            ymin=float(d["ymin"]),
            xmax=float(d["xmax"]),
            ymax=float(d["ymax"]),
            label=str(d["label"]),
            difficult=bool(d.get("difficult", False)),
        )


@dataclass
class BoxAnnotation:
    """All boxes of one image.

    Attributes:
        image_id: id of the image.
        width, height: image size in pixels.
        um_per_px: micrometres per pixel (assumed for imported data, e.g. 2.8 for FDU).
        boxes: the usable boxes.
        dropped: how many boxes were discarded on import and why (``{"degenerate": 3}``).
        source: provenance (original file names, data set name).
    """

    image_id: str
    width: int
    height: int
    um_per_px: float
    boxes: list[Box] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.boxes)

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.boxes]

    def as_arrays(self) -> tuple[np.ndarray, list[str]]:
        """Boxes as an ``(N, 4)`` float32 array ``[xmin, ymin, xmax, ymax]`` and their labels."""
        arr = np.array([[b.xmin, b.ymin, b.xmax, b.ymax] for b in self.boxes], dtype=np.float32)
        return arr.reshape(-1, 4), self.labels

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotation_type": "boxes",
            "schema_version": SCHEMA_VERSION,
            "image_id": self.image_id,
            "width": int(self.width),
            "height": int(self.height),
            "um_per_px": float(self.um_per_px),
            "count": self.count,
            "boxes": [b.to_dict() for b in self.boxes],
            "dropped": {k: int(v) for k, v in sorted(self.dropped.items())},
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "box annotation") -> BoxAnnotation:
        """Parse :meth:`to_dict` output.

        Raises:
            DataFormatError: naming ``where`` when a key is missing or a value is invalid.
        """
        try:
            if d.get("annotation_type") != "boxes":
                raise DataFormatError(f"annotation_type is {d.get('annotation_type')!r}, expected 'boxes'")
            return cls(
                image_id=str(d["image_id"]),
                width=int(d["width"]),
                height=int(d["height"]),
                um_per_px=float(d["um_per_px"]),
                boxes=[Box.from_dict(b) for b in d["boxes"]],
                dropped={str(k): int(v) for k, v in d.get("dropped", {}).items()},
                source=dict(d.get("source", {})),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataFormatError(
                f"{where} is malformed ({type(exc).__name__}: {exc}); see data/README.md for the box format."
            ) from exc
