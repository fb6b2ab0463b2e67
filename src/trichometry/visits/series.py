"""Compare the visits of one subject's target area: checks, registration, matching, windows.

A visit holds one or more photos of the same area. Two ways to use several photos:

* ``combine="consensus"`` (default, used when both visits have at least two photos): each
  visit's photos vote on its hairs (:mod:`.consensus`: a hair counts where a majority of
  the photos covering it found it; the others become candidates), and the two
  consensuses, each in its visit's first photo's frame, are registered and matched once.
  A detector's photo-to-photo flicker then does not read as lost and new hairs.
* ``combine="pairs"`` (and whenever a visit has a single photo, so both sides are treated
  alike): each follow-up photo is registered to the first baseline photo (the reference
  frame: registrations, matchings, overlays) and to every further baseline photo, its
  hairs matched, and the changes of all these pairs combined (mean). A further baseline
  photo that does not register with a follow-up photo is left out of that pair (logged);
  the reference pair must register.

The spread of the photos within a visit gives the repeatability.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import ConfigError, RegistrationError
from trichometry.visits.change import (
    PairChange,
    Repeatability,
    change_from_matching,
    combine_changes,
)
from trichometry.visits.consensus import Consensus, consensus
from trichometry.visits.hairs import HairPoints
from trichometry.visits.matching import HairMatching, MatchConfig, match_hairs
from trichometry.visits.registration import Registration, RegistrationConfig, register
from trichometry.visits.visit import (
    VisitPhotos,
    check_visit,
    check_visits_scale,
    photo_density,
    visit_repeatability,
)
from trichometry.visits.windows import DEFAULT_WINDOWS, VisitWindow, assign_window, check_windows, days_since

logger = logging.getLogger(__name__)


@dataclass
class VisitComparison:
    """A follow-up visit against baseline."""

    visit: str
    day: int
    window: str | None
    change: PairChange
    independent_density_change_per_cm2: float
    independent_density_change_pct: float
    registrations: list[Registration]
    matchings: list[HairMatching] = field(repr=False, default_factory=list)
    repeatability: Repeatability | None = None  # spread of the follow-up's photos (>= 2 photos)
    # combine="consensus": what each visit's photos agreed on (baseline, follow-up)
    consensus: tuple[Consensus, Consensus] | None = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "visit": self.visit,
            "day": self.day,
            "window": self.window,
            "change": self.change.to_dict(),
            "independent_density_change_per_cm2": round(self.independent_density_change_per_cm2, 4),
            "independent_density_change_pct": round(self.independent_density_change_pct, 4),
            "registrations": [r.to_dict() for r in self.registrations],
            "repeatability": None if self.repeatability is None else self.repeatability.to_dict(),
            "combine": "pairs" if self.consensus is None else "consensus",
            "consensus": None
            if self.consensus is None
            else {"baseline": self.consensus[0].to_dict(), "followup": self.consensus[1].to_dict()},
        }


def compare_photos(
    base: HairPoints,
    follow: HairPoints,
    *,
    registration: RegistrationConfig | None = None,
    matching: MatchConfig | None = None,
) -> tuple[Registration, HairMatching, PairChange]:
    """Register one follow-up photo onto a baseline photo, match hairs and measure the change.

    The follow-up is resampled to the baseline's scale first when the calibrations differ
    (callers decide beforehand whether such a difference is acceptable).

    Raises:
        RegistrationError: the photos do not show the same area.
    """
    if follow.um_per_px != base.um_per_px:
        follow = follow.rescaled(follow.um_per_px / base.um_per_px)
    reg = register(
        base.xy_px,
        follow.xy_px,
        um_per_px=base.um_per_px,
        base_size=base.size,
        follow_size=follow.size,
        base_image=base.image,
        follow_image=follow.image,
        config=registration,
    )
    m = match_hairs(base, follow, reg, matching)
    return reg, m, change_from_matching(m)


def compare_visit(
    baseline: VisitPhotos,
    followup: VisitPhotos,
    *,
    windows: Sequence[VisitWindow] = DEFAULT_WINDOWS,
    registration: RegistrationConfig | None = None,
    matching: MatchConfig | None = None,
    rescale: bool = False,
    calibration_tolerance: float = 0.02,
    combine: str = "consensus",
) -> VisitComparison:
    """Compare a follow-up visit with the baseline visit of the same area.

    Args:
        baseline: the baseline visit (its first photo is the reference frame).
        followup: a later visit.
        windows: follow-up windows (validated; overlapping windows are refused).
        registration: registration parameters.
        matching: matching parameters.
        rescale: when the calibrations differ by more than ``calibration_tolerance``,
            resample the follow-up hairs to the baseline scale instead of refusing.
        calibration_tolerance: relative calibration difference accepted as equal.
        combine: ``"consensus"`` or ``"pairs"``: how several photos per visit are used
            (module docstring); with a single photo at either visit, ``"pairs"``.

    Raises:
        ConfigError: unknown ``combine``.
        DataFormatError: the follow-up is dated before baseline.
        ImageRejected: a visit has no usable photo.
        CalibrationError: calibrations differ and ``rescale`` is off.
        RegistrationError: a follow-up photo does not show the baseline area.
    """
    if combine not in ("consensus", "pairs"):
        raise ConfigError(f"combine must be 'consensus' or 'pairs', got {combine!r}.")
    windows = check_windows(windows)
    day = days_since(baseline.date, followup.date)
    check_visits_scale(check_visit(baseline), check_visit(followup), followup.visit,
                       calibration_tolerance, rescale)  # fmt: skip
    voted = None
    if combine == "consensus" and min(len(baseline.photos), len(followup.photos)) >= 2:
        dist = matching.max_distance_um if matching is not None else MatchConfig().max_distance_um
        voted = tuple(consensus(v.photos, max_distance_um=dist, registration=registration)
                      for v in (baseline, followup))  # fmt: skip
        reg, m, ch = compare_photos(
            voted[0].points, voted[1].points, registration=registration, matching=matching
        )
        used = voted[0].photos_used + voted[1].photos_used
        regs, matches, changes = [reg], [m], [dataclasses.replace(ch, n_photos=used)]
    else:
        regs, matches, changes = _pairwise(baseline, followup, registration, matching)
    change = combine_changes(changes)
    roi = matching.roi_radius_um if matching is not None else None
    d0 = float(np.mean([photo_density(p, roi) for p in baseline.photos]))
    d1 = float(np.mean([photo_density(p, roi) for p in followup.photos]))
    return VisitComparison(
        visit=followup.visit,
        day=day,
        window=assign_window(day, windows),
        change=change,
        independent_density_change_per_cm2=d1 - d0,
        independent_density_change_pct=100.0 * (d1 - d0) / d0 if d0 else float("nan"),
        registrations=regs,
        matchings=matches,
        repeatability=visit_repeatability([followup]) if len(followup.photos) > 1 else None,
        consensus=voted,
    )


def _pairwise(
    baseline: VisitPhotos,
    followup: VisitPhotos,
    registration: RegistrationConfig | None,
    matching: MatchConfig | None,
) -> tuple[list[Registration], list[HairMatching], list[PairChange]]:
    """Every follow-up photo against the first baseline photo (registrations and matchings
    kept) and against each further baseline photo that registers with it (change only)."""
    ref = baseline.photos[0]
    extra_baselines = _further_baselines(ref, baseline.photos[1:], registration, matching)
    regs: list[Registration] = []
    matches: list[HairMatching] = []
    changes: list[PairChange] = []
    for j, photo in enumerate(followup.photos):
        reg, m, ch = compare_photos(ref, photo, registration=registration, matching=matching)
        regs.append(reg)
        matches.append(m)
        changes.append(ch)
        for i, other, other_match in extra_baselines:
            try:
                changes.append(
                    compare_photos(other, photo, registration=registration, matching=other_match)[2]
                )
            except RegistrationError as exc:
                logger.warning(
                    "visit %r photo %d left out against baseline photo %d: %s", followup.visit, j + 1, i, exc
                )
    return regs, matches, changes


def _further_baselines(
    ref: HairPoints,
    others: Sequence[HairPoints],
    registration: RegistrationConfig | None,
    matching: MatchConfig | None,
) -> list[tuple[int, HairPoints, MatchConfig | None]]:
    """The further baseline photos (numbered from 2), each with the matching parameters that count the same
    skin as ``ref``: a target circle keeps its place on the skin, so its centre moves to
    where ``ref``'s circle centre lies in that photo. A photo that does not register with
    ``ref`` (or not at ``ref``'s scale) is left out, with a warning."""
    out: list[tuple[int, HairPoints, MatchConfig | None]] = []
    for i, other in enumerate(others, start=2):
        if matching is None or matching.roi_radius_um is None:
            out.append((i, other, matching))
            continue
        try:
            if other.um_per_px != ref.um_per_px:
                other = other.rescaled(other.um_per_px / ref.um_per_px)
            reg = register(other.xy_px, ref.xy_px, um_per_px=other.um_per_px, base_size=other.size,
                           follow_size=ref.size, base_image=other.image, follow_image=ref.image,
                           config=registration)  # fmt: skip
        except RegistrationError as exc:
            logger.warning("baseline photo %d left out: it does not register with the first: %s", i, exc)
            continue
        c = matching.roi_centre_px or ((ref.width - 1) / 2.0, (ref.height - 1) / 2.0)
        x, y = reg.apply(np.asarray([c], dtype=float))[0]
        out.append((i, other, dataclasses.replace(matching, roi_centre_px=(float(x), float(y)))))
    return out


def compare_series(
    visits: Sequence[VisitPhotos], *, windows: Sequence[VisitWindow] = DEFAULT_WINDOWS, **kwargs: Any
) -> list[VisitComparison]:
    """Compare every later visit of one area with its earliest visit (the baseline).

    Keyword arguments go to :func:`compare_visit`.
    """
    if not visits:
        return []
    ordered = sorted(visits, key=lambda v: v.date)
    return [compare_visit(ordered[0], v, windows=windows, **kwargs) for v in ordered[1:]]
