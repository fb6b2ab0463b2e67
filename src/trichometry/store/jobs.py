"""Background analysis jobs that any number of workers share through the database.

A job is ``pending`` until a worker claims it. Claiming is one atomic statement: the
oldest claimable job is marked ``running`` under the worker's name with a fresh
heartbeat and returned (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` inside the
``UPDATE``, so concurrent workers never wait on or take the same row; SQLite: the same
single ``UPDATE ... RETURNING``, which SQLite's one-writer lock makes atomic). A job is
claimable when pending, or when running with a heartbeat older than the lease (its
worker died). The worker beats while it works; finishing (the analysis row and the job's
``done``) is one transaction that succeeds only while the worker still holds the claim,
so a job whose lease was taken over by another worker is recorded once.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, text

from trichometry.store.errors import InvalidInput, NotFound
from trichometry.store.models import JOB_STATES, Analysis, Job, User, UTCDateTime, VisitImage, utcnow

if TYPE_CHECKING:
    from trichometry.store.analyses import AnalysisRecord
    from trichometry.store.store import Store

DEFAULT_LEASE_S = 120.0  # a running job whose worker has not beaten for this long is free

_CLAIM = """
UPDATE jobs SET status = 'running', claimed_by = :worker, heartbeat_at = :now,
       updated_at = :now, attempts = attempts + 1, progress = 0.0, message = ''
WHERE id = (
    SELECT id FROM jobs
    WHERE status = 'pending' OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < :stale))
    ORDER BY id LIMIT 1 {lock}
)
RETURNING id
"""


class JobsMixin:
    """Job methods of :class:`~trichometry.store.store.Store`."""

    def create_job(self: Store, actor: User | None, visit_image_id: int, method: str) -> Job:
        with self.session() as s:
            job = Job(visit_image_id=visit_image_id, method=method, created_by=actor.id if actor else None)
            s.add(job)
            s.flush()
        return job

    def claim_job(self: Store, worker: str, lease_s: float = DEFAULT_LEASE_S) -> Job | None:
        """Claim the oldest claimable job for ``worker``; ``None`` when there is none."""
        if not worker or len(worker) > 64:
            raise InvalidInput("a worker needs a name of 1-64 characters.")
        now = utcnow()
        lock = "FOR UPDATE SKIP LOCKED" if self.engine.dialect.name == "postgresql" else ""
        stmt = text(_CLAIM.format(lock=lock)).bindparams(
            bindparam("now", type_=UTCDateTime()), bindparam("stale", type_=UTCDateTime())
        )
        params = {"worker": worker, "now": now, "stale": now - dt.timedelta(seconds=lease_s)}
        with self.session() as s:
            row = s.execute(stmt, params).first()
            if row is None:
                return None
            return s.get(Job, int(row[0]))

    def beat(self: Store, job_id: int, worker: str, progress: float | None = None) -> bool:
        """Renew ``worker``'s claim on a job (and its progress); ``False`` when it lost it."""
        with self.session() as s:
            job = s.get(Job, job_id)
            if job is None or job.claimed_by != worker or job.status != "running":
                return False
            job.heartbeat_at = job.updated_at = utcnow()
            if progress is not None:
                job.progress = float(progress)
            return True

    def finish_job(self: Store, job_id: int, worker: str, record: AnalysisRecord) -> Analysis | None:
        """Append the job's analysis and mark it ``done``, in one transaction, while
        ``worker`` still holds the claim; ``None`` (nothing written) when it does not."""
        overlay_sha = self.blobs.put(record.overlay_png) if record.overlay_png else None
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=True)
            if job is None or job.claimed_by != worker or job.status != "running":
                return None
            row = self._analysis_row(s, job.visit_image_id, record, None, overlay_sha)
            job.status, job.progress, job.analysis_id = "done", 1.0, row.id
            job.updated_at = utcnow()
            return row

    def fail_job(self: Store, job_id: int, worker: str, message: str) -> bool:
        """Mark a claimed job ``failed`` with the reason; ``False`` when the claim was lost."""
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=True)
            if job is None or job.claimed_by != worker or job.status != "running":
                return False
            job.status, job.message, job.updated_at = "failed", message[:2000], utcnow()
            return True

    def set_job(
        self: Store,
        job_id: int,
        status: str,
        progress: float | None = None,
        message: str | None = None,
        analysis_id: int | None = None,
    ) -> None:
        if status not in JOB_STATES:
            raise InvalidInput(f"unknown job status {status!r}")
        with self.session() as s:
            job = s.get(Job, job_id)
            if job is None:
                raise NotFound(f"no job {job_id}")
            job.status = status
            if progress is not None:
                job.progress = float(progress)
            if message is not None:
                job.message = message[:2000]
            if analysis_id is not None:
                job.analysis_id = analysis_id
            job.updated_at = utcnow()

    def get_job(self: Store, actor: User | None, job_id: int) -> Job:
        with self.read() as s:
            job = s.get(Job, job_id)
        if job is None:
            raise NotFound(f"no analysis job {job_id}.")
        if actor is not None:
            self.get_visit_image(actor, job.visit_image_id)
        return job

    def jobs_of_visit(self: Store, visit_id: int) -> list[Job]:
        with self.read() as s:
            q = (
                select(Job)
                .join(VisitImage, VisitImage.id == Job.visit_image_id)
                .where(VisitImage.visit_id == visit_id)
                .order_by(Job.id)
            )
            return list(s.execute(q).scalars())

    def unfinished_jobs(self: Store) -> list[Job]:
        """Jobs left pending or running (e.g. by a restart), oldest first."""
        with self.read() as s:
            q = select(Job).where(Job.status.in_(("pending", "running"))).order_by(Job.id)
            return list(s.execute(q).scalars())
