"""One headline density change per subject x site x window, with its 95 % interval.

The rule every front end follows (patient page, subject PDF, ``/api/export.csv``, trial
report):

* the **hair-to-hair** change (the follow-up photos registered onto the baseline's, each
  hair matched to its follicle; paired interval from the lost/new counts) leads when the
  registration succeeded;
* otherwise the **independent-count** change leads: the visit's mean density minus the
  baseline's (exactly ``CHG`` of ``DENS``), with a Poisson interval from the hair counts
  and areas of the photos behind each mean;
* both are always reported side by side, and when their intervals do not overlap the
  change is flagged (``disagree``) with one sentence saying what to look at.

The hair-to-hair figures come from outside (a source that can load the photos, see
:meth:`trichometry.reports.store_source.StoreSource.matched_changes`); this module only
decides and formats, so every front end that is handed the same observations and matched
changes prints the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trichometry.reports.engine import VisitObservation
from trichometry.reports.intervals import density_variance
from trichometry.visits.change import NAN_INTERVAL, Z95, Interval

HAIR_TO_HAIR = "hair-to-hair"
INDEPENDENT = "independent counts"

#: key of a follow-up visit: (subject, site, visit label)
VisitKey = tuple[str, str, str]


@dataclass(frozen=True)
class MatchedChange:
    """A follow-up visit's hair-to-hair comparison with its baseline.

    Attributes:
        density: density change in the common field (hairs/cm2), paired 95 % interval.
        thickness: mean shaft-diameter change of the matched hairs (um), 95 % interval.
        matched, lost, new: follicles with a hair at both visits, at baseline only, at
            follow-up only.
        n_photos: photos (or photo pairs) the comparison combines.
    """

    density: Interval
    thickness: Interval
    matched: float
    lost: float
    new: float
    n_photos: int


@dataclass(frozen=True)
class HeadlineChange:
    """The change a reader should lead with for one follow-up visit (see module docstring)."""

    study_id: str
    subject: str
    arm: str
    site: str
    window: str
    visit: str
    day: int
    baseline_density: float
    independent: Interval
    matched: MatchedChange | None = None
    not_matched: str = ""

    @property
    def measure(self) -> str:
        """``"hair-to-hair"`` or ``"independent counts"``: which figure leads."""
        return HAIR_TO_HAIR if self.matched is not None else INDEPENDENT

    @property
    def change(self) -> Interval:
        """The headline density change (hairs/cm2) with its 95 % interval."""
        return self.matched.density if self.matched is not None else self.independent

    @property
    def change_pct(self) -> float:
        """The headline change as a percentage of the baseline density (NaN when unknown)."""
        b = self.baseline_density
        return 100.0 * self.change.estimate / b if b and math.isfinite(b) else math.nan

    @property
    def opposite(self) -> bool:
        """Both figures exist and point in opposite directions (one up, one down)."""
        if self.matched is None:
            return False
        a, b = self.matched.density.estimate, self.independent.estimate
        return math.isfinite(a) and math.isfinite(b) and a * b < 0

    @property
    def apart(self) -> bool:
        """Both figures exist and their 95 % intervals do not overlap."""
        if self.matched is None:
            return False
        a, b = self.matched.density, self.independent
        if not all(math.isfinite(x) for x in (a.low, a.high, b.low, b.high)):
            return False
        return a.high < b.low or b.high < a.low

    @property
    def disagree(self) -> bool:
        """The two figures differ in sign or their 95 % intervals do not overlap: every page
        says so, and "agrees" is written only where neither holds."""
        return self.opposite or self.apart

    def sentence(self) -> str:
        """One line for a reader: which figure leads, and what to do when they disagree."""
        if self.matched is None:
            why = f" ({self.not_matched})" if self.not_matched else ""
            return f"Independent counts only: the hair-to-hair comparison is not available{why}."
        look = (
            "look at the comparison picture before trusting either (a shifted field, a blurred photo, "
            "many crossing hairs or a hair marked lost and new at once are the usual causes)."
        )
        if self.apart:
            return (
                "The hair-to-hair change and the independent-count change disagree beyond their 95 % "
                f"intervals; {look}"
            )
        if self.opposite:
            a, b = self.matched.density.estimate, self.independent.estimate  # type: ignore[union-attr]
            return (
                f"The hair-to-hair change ({a:+.1f} /cm²) and the independent-count change ({b:+.1f} /cm²) "
                f"point in opposite directions, though their intervals overlap; {look}"
            )
        return (
            "The hair-to-hair change leads; the independent-count change has the same sign and lies "
            "within its interval."
        )


def independent_change(base: VisitObservation, o: VisitObservation) -> Interval:
    """``CHG`` of ``DENS`` with a Poisson 95 % interval over both visits' photos."""
    est = o.chg.get("DENS", math.nan)
    var = density_variance(base) + density_variance(o)
    if not (math.isfinite(est) and math.isfinite(var)):
        return Interval(est, math.nan, math.nan) if math.isfinite(est) else NAN_INTERVAL
    half = Z95 * math.sqrt(var)
    return Interval(est, est - half, est + half)


def analysed_followups(obs: Sequence[VisitObservation]) -> list[tuple[VisitObservation, VisitObservation]]:
    """``(baseline, follow-up)`` for every analysed follow-up visit in a window (``ANL01FL``)."""
    bases = {(o.subject, o.site): o for o in obs if o.is_baseline}
    return [
        (bases[(o.subject, o.site)], o)
        for o in obs
        if not o.is_baseline and o.analysed and o.window is not None
    ]


def headline_changes(
    obs: Sequence[VisitObservation], matched: Mapping[VisitKey, MatchedChange | str] | None = None
) -> list[HeadlineChange]:
    """One :class:`HeadlineChange` per analysed follow-up visit in a window (``ANL01FL``).

    Args:
        obs: the report engine's observations.
        matched: per follow-up ``(subject, site, visit)``, its hair-to-hair comparison, or
            the reason there is none; missing keys read as "not compared".
    """
    matched = matched or {}
    out: list[HeadlineChange] = []
    for base, o in analysed_followups(obs):
        assert o.window is not None
        m = matched.get((o.subject, o.site, o.visit), "no hair-to-hair comparison was made")
        out.append(
            HeadlineChange(
                study_id=o.study_id,
                subject=o.subject,
                arm=o.arm,
                site=o.site,
                window=o.window.name,
                visit=o.visit,
                day=o.day,
                baseline_density=base.values.get("DENS", math.nan),
                independent=independent_change(base, o),
                matched=m if isinstance(m, MatchedChange) else None,
                not_matched="" if isinstance(m, MatchedChange) else str(m),
            )
        )
    return out


HEADLINE_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "USUBJID",
    "ARM",
    "SITE",
    "WINDOW",
    "VISIT",
    "DAY",
    "MEASURE",
    "DENS CHG",
    "CI95 LOW",
    "CI95 HIGH",
    "PCHG",
    "INDEP CHG",
    "INDEP LOW",
    "INDEP HIGH",
    "H2H CHG",
    "H2H LOW",
    "H2H HIGH",
    "MATCHED",
    "LOST",
    "NEW",
    "DISAGREE",
    "NOTE",
)


def _n(x: float) -> float | None:
    return round(x, 6) if isinstance(x, int | float) and math.isfinite(x) else None


def headline_row(h: HeadlineChange) -> dict[str, Any]:
    """The headline as one flat row (``HEADLINE_COLUMNS``; numbers rounded to 6 decimals)."""
    m = h.matched
    mi = m.density if m is not None else NAN_INTERVAL
    return {
        "STUDYID": h.study_id,
        "USUBJID": h.subject,
        "ARM": h.arm,
        "SITE": h.site,
        "WINDOW": h.window,
        "VISIT": h.visit,
        "DAY": h.day,
        "MEASURE": h.measure,
        "DENS CHG": _n(h.change.estimate),
        "CI95 LOW": _n(h.change.low),
        "CI95 HIGH": _n(h.change.high),
        "PCHG": _n(h.change_pct),
        "INDEP CHG": _n(h.independent.estimate),
        "INDEP LOW": _n(h.independent.low),
        "INDEP HIGH": _n(h.independent.high),
        "H2H CHG": _n(mi.estimate),
        "H2H LOW": _n(mi.low),
        "H2H HIGH": _n(mi.high),
        "MATCHED": None if m is None else _n(m.matched),
        "LOST": None if m is None else _n(m.lost),
        "NEW": None if m is None else _n(m.new),
        "DISAGREE": "Y" if h.disagree else "",
        "NOTE": h.sentence(),
    }
