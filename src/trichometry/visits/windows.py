"""Follow-up windows: which visit is "2 weeks", "1 month", "3 months", "6 months".

A visit belongs to a window when its day since baseline lies within
``centre_day +/- tolerance_days``. Windows must not overlap, so a visit belongs to one
window at most (a visit outside all windows is reported without a window).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from trichometry.errors import ConfigError, DataFormatError


@dataclass(frozen=True)
class VisitWindow:
    """A named window of days since baseline.

    Attributes:
        name: label used in reports (e.g. ``"3m"``).
        centre_day: target day since baseline.
        tolerance_days: half-width of the window (days, inclusive).
    """

    name: str
    centre_day: float
    tolerance_days: float

    @property
    def first_day(self) -> float:
        return self.centre_day - self.tolerance_days

    @property
    def last_day(self) -> float:
        return self.centre_day + self.tolerance_days

    def contains(self, day: float) -> bool:
        return self.first_day <= day <= self.last_day


# Stem-cell / PRP practice: first change ~2 weeks, visible at 1 month, 3 and 6 months.
DEFAULT_WINDOWS: tuple[VisitWindow, ...] = (
    VisitWindow("2w", 14, 4),
    VisitWindow("1m", 30, 7),
    VisitWindow("3m", 91, 14),
    VisitWindow("6m", 182, 28),
)


def check_windows(windows: Sequence[VisitWindow]) -> tuple[VisitWindow, ...]:
    """Validate windows and return them sorted by centre day.

    Raises:
        ConfigError: a duplicate name, a non-positive tolerance, a window before
            baseline, or two windows that overlap.
    """
    ws = sorted(windows, key=lambda w: w.centre_day)
    names = [w.name for w in ws]
    if len(set(names)) != len(names):
        raise ConfigError(f"visit window names must be unique, got {names}.")
    for w in ws:
        if w.tolerance_days < 0 or w.first_day <= 0:
            raise ConfigError(
                f"visit window {w.name!r} ({w.centre_day} +/- {w.tolerance_days} days) must lie after "
                "baseline with a tolerance >= 0; fix its centre_day / tolerance_days."
            )
    for a, b in itertools.pairwise(ws):
        if a.last_day >= b.first_day:
            raise ConfigError(
                f"visit windows {a.name!r} (days {a.first_day:g}-{a.last_day:g}) and {b.name!r} "
                f"(days {b.first_day:g}-{b.last_day:g}) overlap, so a visit could belong to both; "
                "narrow their tolerances."
            )
    return tuple(ws)


def days_since(baseline: dt.date, visit: dt.date) -> int:
    """Days from baseline to a visit.

    Raises:
        DataFormatError: the visit is dated before baseline.
    """
    days = (visit - baseline).days
    if days < 0:
        raise DataFormatError(
            f"follow-up dated {visit.isoformat()} lies before baseline {baseline.isoformat()}; "
            "check the visit dates (or which visit is the baseline)."
        )
    return days


def assign_window(day: float, windows: Sequence[VisitWindow] = DEFAULT_WINDOWS) -> str | None:
    """The name of the window holding ``day`` since baseline, or ``None``."""
    for w in check_windows(windows):
        if w.contains(day):
            return w.name
    return None
