"""When a report was made and from what: timestamps and the provenance record.

Exports must be byte-identical when repeated on the same data, so the time stamp is an
input: an explicit ``--timestamp``, else ``SOURCE_DATE_EPOCH`` (the reproducible-builds
convention), else the current time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from trichometry.errors import ConfigError

UTC = dt.timezone.utc


def resolve_timestamp(value: str | int | float | dt.datetime | None = None) -> dt.datetime:
    """The report's ``generated_at`` (UTC, whole seconds).

    Args:
        value: a :class:`datetime.datetime` (naive = UTC), an ISO 8601 string
            (``2026-11-21T08:00:00Z``), or seconds since the epoch (number or digits).
            ``None`` reads ``SOURCE_DATE_EPOCH`` and falls back to now.

    Raises:
        ConfigError: the value is neither ISO 8601 nor a number of seconds.
    """
    if value is None:
        env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if env:
            try:
                return resolve_timestamp(int(env))
            except (ValueError, ConfigError) as exc:
                raise ConfigError(
                    f"SOURCE_DATE_EPOCH={env!r} is not a whole number of seconds since 1970; fix or unset it."
                ) from exc
        return dt.datetime.now(UTC).replace(microsecond=0)
    if isinstance(value, dt.datetime):
        ts = value if value.tzinfo else value.replace(tzinfo=UTC)
        return ts.astimezone(UTC).replace(microsecond=0)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(int(value), UTC)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return resolve_timestamp(int(text))
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"timestamp {text!r} is neither ISO 8601 (e.g. 2026-11-21T08:00:00Z) nor seconds since 1970; "
            "give one of these."
        ) from exc
    return resolve_timestamp(parsed)


def iso(ts: dt.datetime) -> str:
    """``2026-11-21T08:00:00Z``."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows_sha256(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 of the long data (columns and values, JSON-encoded): the data's fingerprint.

    Two exports with the same fingerprint carry the same numbers, whatever their format.
    """
    h = hashlib.sha256()
    h.update(json.dumps(list(columns)).encode())
    for row in rows:
        h.update(b"\n")
        h.update(json.dumps([row.get(c) for c in columns], default=str, allow_nan=True).encode())
    return h.hexdigest()
