"""One visit's photos of a target area: their common scale, each photo's own density, and
their spread (repeatability)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trichometry.errors import CalibrationError, ImageRejected
from trichometry.visits.change import Repeatability, repeatability
from trichometry.visits.hairs import HairPoints


@dataclass
class VisitPhotos:
    """The photos of one target area taken at one visit."""

    visit: str
    date: dt.date
    photos: list[HairPoints]
    subject: str = ""
    site: str = ""


def photo_density(p: HairPoints, roi_radius_um: float | None = None) -> float:
    """Hairs per cm2 of one photo: the whole frame, or a circle around its centre.

    This is the *independent* count of a visit (no registration): a photo centred on the
    tattoo, counted on its own.
    """
    if roi_radius_um is None:
        return len(p) / p.area_cm2
    from trichometry.visits.matching import roi_circle
    from trichometry.visits.similarity import inside_polygon

    r_px = roi_radius_um / p.um_per_px
    n = int(inside_polygon(roi_circle(p.width, p.height, r_px), p.xy_px).sum())
    return n / (np.pi * (roi_radius_um * 1e-4) ** 2)


def check_visit(v: VisitPhotos) -> float:
    """The visit's scale (um per pixel), after checking it has photos that agree on it.

    Raises:
        ImageRejected: no usable photo; CalibrationError: photos at different scales.
    """
    if not v.photos:
        raise ImageRejected(
            f"visit {v.visit!r} ({v.date.isoformat()}) has no usable image; re-take the photos of the "
            "target area or leave the visit out."
        )
    return visit_scale(v.visit, [p.um_per_px for p in v.photos])


def visit_scale(visit: str, scales: Sequence[float], tolerance: float = 0.02) -> float:
    """The calibration of one visit's photos (its first photo's um per pixel).

    Callers with images but no hairs yet (the CLI) check here before detecting anything.

    Raises:
        CalibrationError: the photos' calibrations differ by more than ``tolerance``.
    """
    base = float(scales[0])
    if any(abs(s - base) > tolerance * base for s in scales):
        raise CalibrationError(
            f"the photos of visit {visit!r} have different calibrations "
            f"{sorted({round(float(s), 6) for s in scales})} um/px; "
            "photograph one visit with one device setting, or correct the calibration."
        )
    return base


def check_visits_scale(
    baseline_um_per_px: float,
    followup_um_per_px: float,
    followup: str = "followup",
    tolerance: float = 0.02,
    rescale: bool = False,
) -> None:
    """Refuse two visits whose calibrations differ by more than ``tolerance``, unless the
    follow-up may be resampled (``rescale``).

    Raises:
        CalibrationError: the scales differ and ``rescale`` is off.
    """
    rel = abs(followup_um_per_px - baseline_um_per_px) / baseline_um_per_px
    if rel > tolerance and not rescale:
        raise CalibrationError(
            f"baseline is calibrated at {baseline_um_per_px:.4g} um/px but visit {followup!r} at "
            f"{followup_um_per_px:.4g} um/px ({100 * rel:.1f} % apart); check the device calibration, "
            "or allow resampling (rescale=True / --rescale) if both values are right."
        )


def visit_repeatability(visits: Sequence[VisitPhotos]) -> Repeatability:
    """Repeatability of whole-photo density over visits with several photos each."""
    return repeatability([[photo_density(p) for p in v.photos] for v in visits])
