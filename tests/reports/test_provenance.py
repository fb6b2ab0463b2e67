from __future__ import annotations

import datetime as dt

import pytest

from trichometry.errors import ConfigError
from trichometry.reports.provenance import iso, resolve_timestamp, rows_sha256


def test_timestamp_forms_agree():
    ref = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.timezone.utc)
    assert resolve_timestamp("2026-11-21T08:00:00Z") == ref
    assert resolve_timestamp("2026-11-21T09:00:00+01:00") == ref
    assert resolve_timestamp(int(ref.timestamp())) == ref
    assert resolve_timestamp(str(int(ref.timestamp()))) == ref
    assert resolve_timestamp(dt.datetime(2026, 11, 21, 8, 0, 0, 123)) == ref
    assert iso(ref) == "2026-11-21T08:00:00Z"


def test_source_date_epoch_is_used_and_checked(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    assert iso(resolve_timestamp()) == "1970-01-02T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        resolve_timestamp()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((resolve_timestamp() - now).total_seconds()) < 5


def test_bad_timestamp_is_refused():
    with pytest.raises(ConfigError, match="ISO 8601"):
        resolve_timestamp("next tuesday")


def test_rows_fingerprint_changes_with_any_value():
    rows = [{"A": 1, "B": "x"}, {"A": 2.5, "B": None}]
    h = rows_sha256(["A", "B"], rows)
    assert h == rows_sha256(["A", "B"], [dict(r) for r in rows])
    assert h != rows_sha256(["A", "B"], [rows[0], {"A": 2.5000001, "B": None}])
