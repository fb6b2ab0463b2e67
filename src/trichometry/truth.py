"""Ground truth of a generated trichoscopy image.

Conventions (used throughout the project):

* Pixel coordinates are ``(x, y)`` with x to the right and y down; the centre of the
  top-left pixel is ``(0, 0)`` (OpenCV convention). A pixel ``(i, j)`` (row, column)
  covers ``[j - 0.5, j + 0.5) x [i - 0.5, i + 0.5)``.
* A hair *counts* for an image when its exit point (where it leaves the skin) lies
  inside the frame: ``-0.5 <= x < width - 0.5`` and ``-0.5 <= y < height - 0.5``.
* Lengths are in micrometres (``_um``) unless a name says pixels (``_px``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class HairTruth:
    """One hair as the generator drew it.

    Attributes:
        hair_id: 1-based id, unique within the image; equals the value of the hair's
            pixels in :attr:`Targets.instance_ids`.
        follicle_id: persistent id of the follicle the hair grows from; stable across
            the visits of one subject (used to score hair-to-hair matching).
        unit_id: follicular unit (hairs sharing one opening share it).
        exit_xy: exit point in pixels ``(x, y)``.
        centreline: ``(N, 2)`` float array of ``(x, y)`` pixels from the exit point
            (first row) to the tip (last row); may run outside the frame.
        diameter_um: shaft diameter near the root.
        tip_diameter_um: diameter at the tip (slight taper; equal for clipped hairs
            apart from the cut; about 15 % of the root for an uncut hair's natural
            point, which narrows over its last 0.8-2.5 mm).
        length_um: full length along the centreline (inside and outside the frame).
        clipped: cut short (0.3-2 mm) as in trial target areas.
        pigment: 0 = black ... 1 = very light (blond / grey / white).
    """

    hair_id: int
    follicle_id: int
    unit_id: int
    exit_xy: tuple[float, float]
    centreline: np.ndarray
    diameter_um: float
    tip_diameter_um: float
    length_um: float
    clipped: bool
    pigment: float

    def inside(self, width: int, height: int) -> bool:
        """Whether the exit point lies inside a ``width`` x ``height`` frame."""
        x, y = self.exit_xy
        return -0.5 <= x < width - 0.5 and -0.5 <= y < height - 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "hair_id": int(self.hair_id),
            "follicle_id": int(self.follicle_id),
            "unit_id": int(self.unit_id),
            "exit_xy": [round(float(v), 4) for v in self.exit_xy],
            "centreline": np.round(np.asarray(self.centreline, dtype=float), 4).tolist(),
            "diameter_um": round(float(self.diameter_um), 4),
            "tip_diameter_um": round(float(self.tip_diameter_um), 4),
            "length_um": round(float(self.length_um), 4),
            "clipped": bool(self.clipped),
            "pigment": round(float(self.pigment), 4),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HairTruth:
        return cls(
            hair_id=int(d["hair_id"]),
            follicle_id=int(d["follicle_id"]),
            unit_id=int(d["unit_id"]),
            exit_xy=(float(d["exit_xy"][0]), float(d["exit_xy"][1])),
            centreline=np.asarray(d["centreline"], dtype=float).reshape(-1, 2),
            diameter_um=float(d["diameter_um"]),
            tip_diameter_um=float(d["tip_diameter_um"]),
            length_um=float(d["length_um"]),
            clipped=bool(d["clipped"]),
            pigment=float(d["pigment"]),
        )


@dataclass
class ImageTruth:
    """Everything known about one generated image.

    ``hairs`` holds every hair drawn, including those whose exit point lies outside
    the frame (they may still cross it); only inside hairs count.
    """

    image_id: str
    width: int
    height: int
    um_per_px: float
    hairs: list[HairTruth] = field(default_factory=list)
    empty_follicles: list[tuple[float, float]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)  # sampled scene parameters, for provenance

    @property
    def inside_hairs(self) -> list[HairTruth]:
        return [h for h in self.hairs if h.inside(self.width, self.height)]

    @property
    def count(self) -> int:
        """Hairs whose exit point lies inside the frame."""
        return len(self.inside_hairs)

    @property
    def area_cm2(self) -> float:
        return self.width * self.height * (self.um_per_px * 1e-4) ** 2

    @property
    def density_per_cm2(self) -> float:
        return self.count / self.area_cm2

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "image_id": self.image_id,
            "width": int(self.width),
            "height": int(self.height),
            "um_per_px": float(self.um_per_px),
            "count": self.count,
            "area_cm2": round(self.area_cm2, 8),
            "density_per_cm2": round(self.density_per_cm2, 4),
            "hairs": [h.to_dict() for h in self.hairs],
            "empty_follicles": [[round(float(x), 4), round(float(y), 4)] for x, y in self.empty_follicles],
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageTruth:
        return cls(
            image_id=str(d["image_id"]),
            width=int(d["width"]),
            height=int(d["height"]),
            um_per_px=float(d["um_per_px"]),
            hairs=[HairTruth.from_dict(h) for h in d.get("hairs", [])],
            empty_follicles=[(float(x), float(y)) for x, y in d.get("empty_follicles", [])],
            params=dict(d.get("params", {})),
        )


@dataclass
class Targets:
    """Rasterised training / evaluation targets, all ``(H, W)`` and aligned with the image.

    Attributes:
        shaft_mask: uint8, 1 where a hair shaft covers the pixel centre.
        instance_ids: int32, the ``hair_id`` of the top-most hair at the pixel, 0 = none.
        exit_map: uint8, 1 at the pixel containing each inside hair's exit point (the
            generator writes the number of exits there, so 2 only where two exits share a
            pixel, which needs coarser than about 10 um per pixel; the sum is the count).
        diameter_um: float32, the local shaft diameter (um) on shaft pixels, 0 elsewhere.
        overlay_mask: uint8 or None, 1 where a burned-in overlay (text strip, scale bar,
            measurement circle) replaced the picture; hairs under it stay in the other
            targets, so training may ignore these pixels.
    """

    shaft_mask: np.ndarray
    instance_ids: np.ndarray
    exit_map: np.ndarray
    diameter_um: np.ndarray
    overlay_mask: np.ndarray | None = None


@dataclass
class Sample:
    """A generated image with its truth and targets. ``image`` is ``(H, W, 3)`` uint8 RGB."""

    image: np.ndarray
    truth: ImageTruth
    targets: Targets
