"""Protocol visit windows for reports, on top of :mod:`trichometry.visits.windows`.

The windows themselves (``VisitWindow``: name, centre day, tolerance), their checks
(no overlaps, nothing on or before baseline) and the day-to-window rule belong to the
visits package; this module only parses the command-line form and returns the window
object (not just its name) for a study day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from trichometry.errors import ConfigError
from trichometry.visits.windows import DEFAULT_WINDOWS, VisitWindow, assign_window, check_windows

__all__ = [
    "DEFAULT_WINDOWS",
    "VisitWindow",
    "parse_window",
    "parse_windows",
    "spec",
    "validate_windows",
    "window_for_day",
]

_SPEC = re.compile(r"^\s*(?P<name>[^:]+?)\s*:\s*(?P<day>\d+(?:\.\d+)?)\s*:\s*(?P<tol>\d+(?:\.\d+)?)\s*$")


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def spec(w: VisitWindow) -> str:
    """The window as ``NAME:DAY:TOL`` (what :func:`parse_window` reads)."""
    return f"{w.name}:{_num(w.centre_day)}:{_num(w.tolerance_days)}"


def parse_window(text: str) -> VisitWindow:
    """Parse ``NAME:DAY:TOL``: day ``DAY`` since baseline +/- ``TOL`` days (e.g. ``3m:91:14``).

    Raises:
        ConfigError: the text does not follow the pattern.
    """
    m = _SPEC.match(text)
    if m is None:
        raise ConfigError(
            f"window {text!r} is not NAME:DAY:TOL; write e.g. '3m:91:14' (day 91 after baseline +/- 14 days)."
        )
    return VisitWindow(m["name"], _num(float(m["day"])), _num(float(m["tol"])))


def validate_windows(windows: Iterable[VisitWindow]) -> tuple[VisitWindow, ...]:
    """Sorted, checked windows; at least one.

    Raises:
        ConfigError: no windows, duplicate names, overlaps, or a window on/before baseline.
    """
    ws = tuple(windows)
    if not ws:
        raise ConfigError("no visit windows given; name at least one (e.g. --windows 3m:91:14).")
    return check_windows(ws)


def parse_windows(specs: Sequence[str]) -> tuple[VisitWindow, ...]:
    """Parse and validate several specs (each may also be a comma-separated list)."""
    return validate_windows(parse_window(p) for s in specs for p in s.split(",") if p.strip())


def window_for_day(day: float, windows: Sequence[VisitWindow]) -> VisitWindow | None:
    """The window holding study ``day`` (visits package rule), or ``None`` (unscheduled)."""
    name = assign_window(day, windows)
    return next((w for w in windows if w.name == name), None) if name is not None else None
