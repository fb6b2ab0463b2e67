"""The per-photo input of visit comparison: exit points, diameters and the frame.

Everything in :mod:`trichometry.visits` works on :class:`HairPoints`, so it runs the same
on ground truth, on the learned model's output and on the classical baseline's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trichometry.errors import CalibrationError, DataFormatError, ImageRejected


@dataclass(frozen=True)
class HairPoints:
    """Hairs found in one photo.

    Attributes:
        xy_px: ``(N, 2)`` float64 exit points ``(x, y)`` in pixels.
        diameter_um: ``(N,)`` float64 shaft diameters in um (NaN where unknown).
        um_per_px: calibration of the photo.
        width: photo width in pixels.
        height: photo height in pixels.
        ids: optional ``(N,)`` int64 identities (e.g. truth ``follicle_id``), used only to
            score matching; ``-1`` = unknown.
        image: optional ``(H, W, 3)`` uint8 RGB photo (for feature registration, overlays).
        candidates_xy: optional ``(C, 2)`` float64 sub-threshold exit peaks ``(x, y)`` px:
            not hairs; :func:`~trichometry.visits.matching.match_hairs` promotes one to a
            hair only where the other visit has an unmatched hair at the same place.
        diameter_se_um: optional ``(N,)`` standard error of each diameter (NaN where
            unknown); the thickness change's interval uses it.
        sha256: the photo's SHA-256 when known (a join names its baseline photo by it).
        joins: a reviewer's statements that hair ``i`` of this (follow-up) photo is the
            baseline photo ``sha``'s hair at ``(x, y)``: ``((i, sha, x, y), ...)``;
            :func:`~trichometry.visits.matching.match_hairs` pairs them where the matcher
            left the two as lost and new.
    """

    xy_px: np.ndarray
    diameter_um: np.ndarray
    um_per_px: float
    width: int
    height: int
    ids: np.ndarray | None = None
    image: np.ndarray | None = None
    candidates_xy: np.ndarray | None = None
    diameter_se_um: np.ndarray | None = None
    sha256: str | None = None
    joins: tuple[tuple[int, str, float, float], ...] = ()

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy_px, dtype=np.float64).reshape(-1, 2)
        d = np.asarray(self.diameter_um, dtype=np.float64).reshape(-1)
        if len(d) != len(xy):
            raise DataFormatError(
                f"HairPoints: {len(xy)} exit points but {len(d)} diameters; give one diameter per hair "
                "(NaN where unknown)."
            )
        if not np.isfinite(xy).all():
            raise DataFormatError("HairPoints: exit points contain NaN or infinity; drop those hairs first.")
        if not (self.um_per_px and np.isfinite(self.um_per_px) and self.um_per_px > 0):
            raise CalibrationError(
                f"photo calibration um_per_px={self.um_per_px!r} is missing or invalid; give the device's "
                "micrometres per pixel (e.g. --um-per-px 2.8)."
            )
        if self.width <= 0 or self.height <= 0:
            raise DataFormatError(f"HairPoints: invalid frame {self.width}x{self.height} px.")
        object.__setattr__(self, "xy_px", xy)
        object.__setattr__(self, "diameter_um", d)
        if self.diameter_se_um is not None:
            se = np.asarray(self.diameter_se_um, dtype=np.float64).reshape(-1)
            if len(se) != len(xy):
                raise DataFormatError(f"HairPoints: {len(se)} diameter errors for {len(xy)} hairs.")
            object.__setattr__(self, "diameter_se_um", se)
        if self.ids is not None:
            ids = np.asarray(self.ids, dtype=np.int64).reshape(-1)
            if len(ids) != len(xy):
                raise DataFormatError(f"HairPoints: {len(ids)} ids for {len(xy)} hairs.")
            object.__setattr__(self, "ids", ids)
        if self.candidates_xy is not None:
            cand = np.asarray(self.candidates_xy, dtype=np.float64)
            if cand.size % 2 or (cand.ndim == 2 and cand.shape[1] != 2) or cand.ndim > 2:
                raise DataFormatError(
                    f"HairPoints: candidates_xy must be (C, 2) points (x, y), got shape {cand.shape}."
                )
            cand = cand.reshape(-1, 2)
            if not np.isfinite(cand).all():
                raise DataFormatError(
                    "HairPoints: candidate points contain NaN or infinity; drop those candidates first."
                )
            object.__setattr__(self, "candidates_xy", cand)

    @property
    def diameter_se(self) -> np.ndarray:
        """``(N,)`` diameter standard errors, NaN where (or all where) unknown."""
        return self.diameter_se_um if self.diameter_se_um is not None else np.full(len(self), np.nan)

    @property
    def n_candidates(self) -> int:
        """Number of candidates (0 when there are none)."""
        return 0 if self.candidates_xy is None else len(self.candidates_xy)

    def __len__(self) -> int:
        return len(self.xy_px)

    @property
    def area_cm2(self) -> float:
        return self.width * self.height * (self.um_per_px * 1e-4) ** 2

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @classmethod
    def from_truth(cls, truth: Any, image: np.ndarray | None = None) -> HairPoints:
        """Hairs whose exit point lies inside the frame of an :class:`~trichometry.truth.ImageTruth`."""
        hairs = truth.inside_hairs
        return cls(
            xy_px=np.array([h.exit_xy for h in hairs], dtype=np.float64).reshape(-1, 2),
            diameter_um=np.array([h.diameter_um for h in hairs], dtype=np.float64),
            um_per_px=float(truth.um_per_px),
            width=int(truth.width),
            height=int(truth.height),
            ids=np.array([h.follicle_id for h in hairs], dtype=np.int64),
            image=image,
        )

    @classmethod
    def from_analysis(cls, result: Any, image: np.ndarray | None = None) -> HairPoints:
        """From :func:`trichometry.analyze`'s result, or its JSON document (``to_dict()``).

        A result object is read through its measurement's hair objects (no JSON round
        trip); a document (e.g. one the clinic store kept) is parsed.

        Raises:
            ImageRejected: the photo was rejected by quality control (no usable numbers).
            DataFormatError: the document lacks hairs, image size or calibration fields.
        """
        if hasattr(result, "measurement") and hasattr(result, "status"):
            return cls._from_result(result, image)
        doc = result
        if not isinstance(doc, dict) or "hairs" not in doc:
            raise DataFormatError(
                "analysis result has no 'hairs'; run `trichometry analyze` on the photo first."
            )
        if doc.get("status") == "rejected":
            reasons = "; ".join((doc.get("quality") or {}).get("reasons", [])) or "quality control"
            source = (doc.get("image") or {}).get("source", "photo")
            raise ImageRejected(
                f"{source} has no usable image ({reasons}); re-take the photo of the target area."
            )
        size = doc.get("image") or {}
        width, height = size.get("width"), size.get("height")
        if (width is None or height is None) and image is not None:
            height, width = image.shape[:2]
        if width is None or height is None:
            raise DataFormatError(
                "analysis result has no image size (width/height); cannot define its frame."
            )
        hairs = doc["hairs"]
        dia = [h.get("thickness_um") for h in hairs]
        se = [h.get("thickness_se_um") for h in hairs]  # absent in documents written before it
        cands = doc.get("candidates")  # absent in documents written before candidates existed
        try:
            cand_xy = None if cands is None else [(float(c["x_px"]), float(c["y_px"])) for c in cands]
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(
                f"analysis result has malformed 'candidates' ({exc!r}); each needs numeric x_px and "
                "y_px. Re-run `trichometry analyze` on the photo, or drop the field."
            ) from exc
        return cls(
            xy_px=np.array([(float(h["x_px"]), float(h["y_px"])) for h in hairs], dtype=np.float64).reshape(
                -1, 2
            ),
            diameter_um=np.array([np.nan if v is None else float(v) for v in dia], dtype=np.float64),
            um_per_px=float(doc.get("um_per_px") or 0.0),
            width=int(width),
            height=int(height),
            image=image,
            candidates_xy=None if cand_xy is None else np.array(cand_xy, dtype=np.float64).reshape(-1, 2),
            diameter_se_um=np.array([np.nan if v is None else float(v) for v in se], dtype=np.float64),
            sha256=(doc.get("image") or {}).get("sha256"),
            joins=_joins(hairs),
        )

    @classmethod
    def _from_result(cls, result: Any, image: np.ndarray | None) -> HairPoints:
        if result.status == "rejected" or result.measurement is None:
            reasons = "; ".join(result.quality.reasons) or "quality control"
            raise ImageRejected(
                f"{result.loaded.source} has no usable image ({reasons}); "
                "re-take the photo of the target area."
            )
        m = result.measurement
        hairs = m.hairs
        nan = lambda v: np.nan if v is None else float(v)  # noqa: E731
        height, width = m.image_shape
        return cls(
            xy_px=np.array([h.exit_xy for h in hairs], dtype=np.float64).reshape(-1, 2),
            diameter_um=np.array([nan(h.thickness_um) for h in hairs], dtype=np.float64),
            um_per_px=float(m.um_per_px or 0.0),
            width=int(width),
            height=int(height),
            image=image if image is not None else result.image,
            candidates_xy=np.asarray(m.candidates_xy, dtype=np.float64).reshape(-1, 2),
            diameter_se_um=np.array([nan(h.thickness_se_um) for h in hairs], dtype=np.float64),
        )

    def rescaled(self, factor: float) -> HairPoints:
        """The same hairs resampled by ``factor`` (pixel size divided by ``factor``)."""
        image = None
        if self.image is not None:
            import cv2

            image = cv2.resize(self.image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        return HairPoints(
            xy_px=(self.xy_px + 0.5) * factor - 0.5,
            diameter_um=self.diameter_um,
            um_per_px=self.um_per_px / factor,
            width=round(self.width * factor),
            height=round(self.height * factor),
            ids=self.ids,
            image=image,
            candidates_xy=None if self.candidates_xy is None else (self.candidates_xy + 0.5) * factor - 0.5,
            diameter_se_um=self.diameter_se_um,
            sha256=self.sha256,
            joins=self.joins,  # indices stay; the baseline points they name are not rescaled
        )


def _joins(hairs: list[dict[str, Any]]) -> tuple[tuple[int, str, float, float], ...]:
    """The ``same_as`` marks of a reviewed document's hairs (see :class:`HairPoints`)."""
    out = []
    for i, h in enumerate(hairs):
        same = h.get("same_as")
        if isinstance(same, dict) and same.get("image_sha256") and len(same.get("exit") or ()) == 2:
            out.append((i, str(same["image_sha256"]), float(same["exit"][0]), float(same["exit"][1])))
    return tuple(out)
