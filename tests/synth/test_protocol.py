from __future__ import annotations

import pytest

from trichometry.errors import ConfigError
from trichometry.synth.protocol import parse_visits, visit_day


def test_visit_names():
    assert [visit_day(v) for v in ("baseline", "2w", "1m", "3m", "6m")] == [0, 14, 30, 91, 182]
    assert visit_day("10d") == 10 and visit_day("12w") == 84 and visit_day("1y") == 365
    assert parse_visits("baseline, 2w,45d") == (("baseline", 0), ("2w", 14), ("45d", 45))
    assert parse_visits("baseline,2025-03-14", start_date="2025-01-06") == (
        ("baseline", 0),
        ("2025-03-14", 67),
    )
    with pytest.raises(ConfigError, match="before the baseline"):
        parse_visits("baseline,2024-12-01", start_date="2025-01-06")
    with pytest.raises(ConfigError, match="unknown visit"):
        parse_visits("baseline,2025-03-14")  # a date needs the start date
    for bad, match in [
        ("3x", "unknown visit"),
        ("2w,baseline", "baseline"),
        ("baseline,1m,30d", "increasing"),
    ]:
        with pytest.raises(ConfigError, match=match):
            parse_visits(bad)
