"""Coordinator download of the cohort (trial) report: ``GET /api/reports/trial.{csv,xlsx,pdf}``.

The report is :func:`trichometry.reports.build_report` over
:class:`~trichometry.reports.store_source.StoreSource` for the logged-in user, so it holds
exactly the subjects that user may read: coordinators and admins every site, clinicians
their own site. Subjects appear by their pseudonymous code only (the store holds no names).
Every download is recorded in the audit log (``report.export``: who, when, format, size).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from trichometry.errors import DataFormatError
from trichometry.store import Conflict, Store, User
from trichometry.web.auth import api_user

log = logging.getLogger(__name__)

ApiUser = Annotated[User, Depends(api_user)]

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

router = APIRouter(prefix="/api", tags=["reports"])


class _ReadOnce:
    """A report source that reads the store once (the records are checked before the report);
    everything else (warnings, matched changes, description) is the wrapped source's."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._records = list(source.records())

    def records(self) -> list[Any]:
        return self._records

    def describe(self) -> str:
        return self._source.describe()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


def trial_report_bytes(
    store: Store, user: User, fmt: str, now: dt.datetime | None = None
) -> tuple[bytes, int]:
    """The cohort report of every subject ``user`` may read, as ``fmt`` bytes.

    Args:
        store: the open store.
        user: the requesting user (limits the subjects read).
        fmt: ``csv``, ``xlsx`` or ``pdf``.
        now: the time stamp recorded in the report (default: now, UTC, whole seconds).

    Returns:
        ``(bytes, number of subjects in the report)``.

    Raises:
        Conflict: nothing to report (no analysed photo among the readable subjects), or the
            stored visits cannot make a report (e.g. a subject without a usable baseline);
            the message says what to add.
    """
    from trichometry.reports import ReportConfig, build_report, report_bytes
    from trichometry.reports.store_source import StoreSource

    source = _ReadOnce(StoreSource(store, user))
    records = source.records()
    if not records:
        raise Conflict(
            "nothing to report: none of the subjects you may read has an analysed photo; "
            "upload and analyse the baseline photos first."
        )
    stamp = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    try:
        report = build_report(source, ReportConfig(), generated_at=stamp)
    except DataFormatError as exc:
        raise Conflict(f"the trial report cannot be built from the stored visits: {exc}") from exc
    return report_bytes(report, fmt), len({r.subject for r in records})


@router.get("/reports/trial.{fmt}")
def trial_report(fmt: str, request: Request, user: ApiUser) -> Response:
    """The cohort report (csv, xlsx or pdf) of every subject you may read, as a download.

    Coordinators and admins get every site, clinicians their own site; pseudonymised
    (subject codes only). 404 for another format; 409 when there is nothing to report.
    """
    fmt = fmt.lower()
    if fmt not in MEDIA_TYPES:
        raise HTTPException(
            status_code=404, detail=f"no report format {fmt!r}; use trial.csv, trial.xlsx or trial.pdf."
        )
    store: Store = request.app.state.store
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    data, n_subjects = trial_report_bytes(store, user, fmt, now)
    store.record_event(
        user, "report.export", "trial", f"format={fmt} subjects={n_subjects} bytes={len(data)}"
    )
    log.info("trial report %s for %s: %d subjects, %d bytes", fmt, user.username, n_subjects, len(data))
    name = f"trichometry-trial-report-{now:%Y%m%dT%H%M%SZ}.{fmt}"
    return Response(
        data, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
