from __future__ import annotations

import pytest

from trichometry.errors import ConfigError
from trichometry.reports.windows import DEFAULT_WINDOWS, parse_window, parse_windows, spec, window_for_day


def test_parse_window_and_spec_round_trip():
    w = parse_window("3m:91:14")
    assert (w.name, w.first_day, w.last_day) == ("3m", 77, 105)
    assert parse_window(spec(w)) == w
    assert parse_window(" 3 months : 91 : 14 ").name == "3 months"


@pytest.mark.parametrize("text", ["3m", "3m:91", "3m:x:4", ":91:4", "3m:91:-4"])
def test_bad_window_text_is_refused(text):
    with pytest.raises(ConfigError, match="NAME:DAY:TOL"):
        parse_window(text)


def test_overlapping_windows_are_refused_with_both_names():
    with pytest.raises(ConfigError, match=r"'1m'.*'6w'.*overlap"):
        parse_windows(["1m:30:10", "6w:42:5"])


def test_duplicate_empty_and_baseline_windows_are_refused():
    with pytest.raises(ConfigError, match="unique"):
        parse_windows(["a:30:2,a:60:2"])
    with pytest.raises(ConfigError, match="no visit windows"):
        parse_windows([])
    with pytest.raises(ConfigError, match="after baseline"):
        parse_windows(["early:3:5"])


def test_window_for_day_follows_the_tolerances():
    ws = parse_windows(["2w:14:4,3m:91:14"])
    assert [w.name for w in ws] == ["2w", "3m"]
    assert window_for_day(10, ws).name == "2w"
    assert window_for_day(18, ws).name == "2w"
    assert window_for_day(19, ws) is None
    assert window_for_day(105, ws).name == "3m"
    assert window_for_day(0, DEFAULT_WINDOWS) is None
