"""Score one method on a cohort: per-photo detection, per-visit change, repeatability.

Change is scored against the truth of the same photos: the change, by follicle identity,
of the hairs counted in the overlap of each baseline photo and each follow-up photo
(camera geometry from the generator), averaged over those pairs as the estimate is.
Two estimates are compared with it:

* ``matched``: hair-to-hair matching after registration
  (:func:`trichometry.visits.compare_visit`);
* ``independent``: whole-photo density at each visit, as counted without matching.

Errors are in percentage points (estimate - truth).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from trichometry.errors import ImageRejected, RegistrationError
from trichometry.evaluation.cohort import Photo, Subject, true_overlap_change, true_transform
from trichometry.evaluation.detectors import Detection
from trichometry.evaluation.metrics import cl_dice, dice, point_detection
from trichometry.truth import ImageTruth
from trichometry.visits import (
    MatchConfig,
    RegistrationConfig,
    VisitPhotos,
    VisitWindow,
    assign_window,
    compare_visit,
    match_hairs,
    register,
)
from trichometry.visits import similarity as sim
from trichometry.visits.hairs import HairPoints
from trichometry.visits.visit import photo_density

logger = logging.getLogger(__name__)


def score_photo(photo: Photo, det: Detection, radius_um: float) -> dict[str, Any]:
    """Detection, count and thickness scores of one photo (JSON-ready row)."""
    truth = HairPoints.from_truth(photo.truth)
    upp = truth.um_per_px
    ps = point_detection(det.points.xy_px, truth.xy_px, radius_um / upp)
    thick = np.zeros(0)
    if len(ps.pairs):
        thick = det.points.diameter_um[ps.pairs[:, 0]] - truth.diameter_um[ps.pairs[:, 1]]
    row: dict[str, Any] = {
        "image_id": photo.image_id,
        "true_count": len(truth),
        "pred_count": len(det.points),
        "tp": ps.tp,
        "fp": ps.fp,
        "fn": ps.fn,
        "thickness_errors_um": [round(float(v), 3) for v in thick if math.isfinite(v)],
        "dice": None,
        "cl_dice": None,
        "rejected": det.rejected,
    }
    if det.shaft_mask is not None and photo.targets is not None:
        target = photo.targets.shaft_mask.astype(bool)
        row["dice"] = dice(det.shaft_mask, target)
        row["cl_dice"] = cl_dice(det.shaft_mask, target)
    return row


def _usable(photos: Sequence[Photo], detections: dict[str, Detection]) -> list[HairPoints]:
    """The hairs of the photos quality control kept (as the clinic uses them)."""
    return [detections[p.image_id].points for p in photos if detections[p.image_id].rejected is None]


def _true_thickness_change(base: HairPoints, follow: HairPoints) -> float:
    """Mean diameter change of the follicles present in both photos, by identity."""
    assert base.ids is not None and follow.ids is not None
    common, ib, jf = np.intersect1d(base.ids, follow.ids, return_indices=True)
    if len(common) == 0:
        return math.nan
    return float(np.mean(follow.diameter_um[jf] - base.diameter_um[ib]))


def _target_centre(ref: ImageTruth, other: ImageTruth) -> tuple[float, float] | None:
    """Where the reference photo's frame centre (the target circle's) lies in ``other``'s pixels."""
    m = true_transform(other, ref)
    if m is None:
        return None
    x, y = sim.apply(m, np.array([[(ref.width - 1) / 2.0, (ref.height - 1) / 2.0]]))[0]
    return float(x), float(y)


def _target_change(subject: Subject, visit: str) -> float:
    """True change (%) of the hair count in the fixed target circle, when the truth has it."""
    t = subject.target
    base = subject.visits[0].name
    if visit not in t or base not in t or not t[base]["count"]:
        return math.nan
    return 100.0 * (t[visit]["count"] - t[base]["count"]) / t[base]["count"]


def roi_for(subject: Subject, matching: MatchConfig, roi_fraction: float | None) -> MatchConfig:
    """``matching`` with the target circle: ``roi_fraction`` x the baseline photo's shorter side."""
    if roi_fraction is None:
        return matching
    t = subject.visits[0].photos[0].truth
    return dataclasses.replace(matching, roi_radius_um=roi_fraction * min(t.width, t.height) * t.um_per_px)


def score_subject(
    subject: Subject,
    detections: dict[str, Detection],
    *,
    windows: Sequence[VisitWindow],
    registration: RegistrationConfig,
    matching: MatchConfig,
    roi_fraction: float | None = None,
    combine: str = "consensus",
) -> list[dict[str, Any]]:
    """One row per follow-up visit: true change, matched and independent estimates.

    With ``roi_fraction`` only the target circle (see :func:`roi_for`) counts, for the
    estimates and for the truth alike. ``combine`` goes to
    :func:`~trichometry.visits.compare_visit`; the true change is taken in the skin the
    estimate counts: the mean over every photo pair for ``"pairs"``, the first photos'
    common field for a consensus (whose hairs lie in each visit's first photo).
    """
    matching = roi_for(subject, matching, roi_fraction)
    base = subject.visits[0]
    base_photos = _usable(base.photos, detections)
    ref_truth = base.photos[0].truth
    # where the target circle lies in each baseline photo (its centre is the first's)
    roi = matching.roi_radius_um is not None
    centres = [_target_centre(ref_truth, b.truth) if roi else None for b in base.photos]
    rows: list[dict[str, Any]] = []
    for visit in subject.visits[1:]:
        truths: dict[tuple[int, int], float] = {}
        thick = []
        for j, p in enumerate(visit.photos):
            for i, (b, centre) in enumerate(zip(base.photos, centres)):  # every pair (combine="pairs")
                m = true_transform(b.truth, p.truth)
                if m is not None:  # camera geometry recorded (then the centre is known too)
                    truths[i, j] = true_overlap_change(b.truth, p.truth, m, matching.roi_radius_um, centre)[
                        "change_pct"
                    ]
            thick.append(
                _true_thickness_change(HairPoints.from_truth(ref_truth), HairPoints.from_truth(p.truth))
            )
        row: dict[str, Any] = {
            "subject": subject.subject_id,
            "arm": subject.arm,
            "visit": visit.name,
            "day": visit.day,
            "window": assign_window(visit.day, windows),
            "true_change_pct": float(np.nanmean(list(truths.values()))) if truths else math.nan,
            "true_thickness_change_um": float(np.nanmean(thick)) if thick else math.nan,
            "target_change_pct": _target_change(subject, visit.name),
        }
        follow = VisitPhotos(visit.name, visit.date, _usable(visit.photos, detections))
        both = (VisitPhotos(base.name, base.date, base_photos), follow)
        how = {"windows": windows, "registration": registration, "matching": matching}
        try:
            comp = compare_visit(*both, **how, combine=combine)
        except (RegistrationError, ImageRejected) as exc:  # ImageRejected: every photo of a visit rejected
            logger.warning("%s %s: not compared: %s", subject.subject_id, visit.name, exc)
            row.update(registered=False, matched_change_pct=math.nan, independent_change_pct=math.nan)
            rows.append(row)
            continue
        c = comp.change
        if comp.consensus is not None:
            row["true_change_pct"] = truths.get((0, 0), math.nan)
            # the same visit by photo pairs, for the report's side-by-side column
            try:
                pairs = compare_visit(*both, **how, combine="pairs").change.density_change_pct.estimate
            except RegistrationError:  # the first photos' pair registered as consensuses, not as photos
                pairs = math.nan
            row["pairs_change_pct"] = pairs
            row["pairs_true_change_pct"] = float(np.nanmean(list(truths.values()))) if truths else math.nan
        row.update(
            registered=True,
            registration_confidence=float(np.mean([r.confidence for r in comp.registrations])),
            matched_change_pct=c.density_change_pct.estimate,
            matched_change_pct_low=c.density_change_pct.low,
            matched_change_pct_high=c.density_change_pct.high,
            independent_change_pct=comp.independent_density_change_pct,
            matched_thickness_change_um=c.mean_thickness_change_um.estimate,
            lost=c.lost,
            new=c.new,
            matched=c.matched,
        )
        rows.append(row)
    return rows


def repeat_groups(
    subject: Subject,
    detections: dict[str, Detection],
    registration: RegistrationConfig,
    matching: MatchConfig,
    roi_fraction: float | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """Density groups of repeated photos per visit: (independent, matched-in-overlap)."""
    matching = roi_for(subject, matching, roi_fraction)
    independent: list[list[float]] = []
    matched: list[list[float]] = []
    for visit in subject.visits:
        pts = _usable(visit.photos, detections)
        if len(pts) < 2:
            continue
        independent.append([photo_density(p, matching.roi_radius_um) for p in pts])
        ref = pts[0]
        for other in pts[1:]:
            try:
                reg = register(ref.xy_px, other.xy_px, um_per_px=ref.um_per_px, base_size=ref.size,
                               follow_size=other.size, base_image=ref.image, follow_image=other.image,
                               config=registration)  # fmt: skip
            except RegistrationError:
                continue
            m = match_hairs(ref, other, reg, matching)
            if m.overlap_area_cm2 > 0:
                matched.append([m.baseline_count / m.overlap_area_cm2, m.followup_count / m.overlap_area_cm2])
    return independent, matched
