from __future__ import annotations

import datetime as dt

import pytest

from trichometry.errors import ConfigError, DataFormatError
from trichometry.visits import DEFAULT_WINDOWS, VisitWindow, assign_window, check_windows, days_since


def test_default_windows_assign_days():
    assert [assign_window(d) for d in (0, 10, 14, 18, 19, 30, 95, 182, 300)] == [
        None, "2w", "2w", "2w", None, "1m", "3m", "6m", None,
    ]  # fmt: skip
    assert [w.name for w in check_windows(DEFAULT_WINDOWS)] == ["2w", "1m", "3m", "6m"]


def test_overlapping_duplicate_or_bad_windows_are_refused():
    with pytest.raises(ConfigError, match="overlap"):
        check_windows([VisitWindow("a", 30, 10), VisitWindow("b", 45, 6)])
    with pytest.raises(ConfigError, match="unique"):
        check_windows([VisitWindow("a", 30, 1), VisitWindow("a", 60, 1)])
    with pytest.raises(ConfigError):
        check_windows([VisitWindow("a", 3, 5)])


def test_days_since_refuses_followup_before_baseline():
    assert days_since(dt.date(2026, 1, 1), dt.date(2026, 4, 1)) == 90
    with pytest.raises(DataFormatError, match="before baseline"):
        days_since(dt.date(2026, 4, 1), dt.date(2026, 1, 1))
