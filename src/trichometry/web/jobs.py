"""Background analysis: a small thread pool that runs queued jobs and records their state.

Each upload creates a :class:`~trichometry.store.models.Job` (``pending``); a worker
marks it ``running``, reports progress, appends the analysis and marks it ``done`` (or
``failed`` with the reason). Jobs left unfinished by a restart are queued again on start.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from trichometry.errors import TrichometryError
from trichometry.store import Store
from trichometry.web.analysis import Analyser, AnalysisSettings, default_analyser

log = logging.getLogger(__name__)


class JobRunner:
    """Runs analysis jobs of ``store`` on ``workers`` threads.

    Args:
        store: the clinic store.
        settings: analysis method and options.
        analyser: the function doing the work (default: the project's library).
        workers: parallel analyses (each may use several cores itself).
    """

    def __init__(
        self,
        store: Store,
        settings: AnalysisSettings,
        analyser: Analyser | None = None,
        workers: int = 1,
    ) -> None:
        self.store = store
        self.settings = settings
        self.analyser = analyser or default_analyser
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="analysis")
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: int) -> None:
        """Queue a job (its row must exist, status ``pending``)."""
        with self._lock:
            self._futures[job_id] = self._pool.submit(self._run, job_id)

    def enqueue(self, visit_image_id: int, actor=None) -> int:
        """Create a job for a visit photo and queue it; returns the job id."""
        job = self.store.create_job(actor, visit_image_id, self.settings.method)
        self.submit(job.id)
        return job.id

    def recover(self) -> int:
        """Queue jobs left pending/running by an earlier process; returns how many."""
        jobs = self.store.unfinished_jobs()
        for job in jobs:
            self.store.set_job(job.id, "pending", progress=0.0, message="queued again after a restart")
            self.submit(job.id)
        if jobs:
            log.info("re-queued %d unfinished analysis jobs", len(jobs))
        return len(jobs)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until every queued job has finished (for the CLI and tests)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            futures = list(self._futures.values())
        for fut in futures:
            fut.result(timeout=max(0.0, deadline - time.monotonic()))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, job_id: int) -> None:
        store = self.store
        last = [0.0]

        def progress(frac: float) -> None:
            now = time.monotonic()
            if now - last[0] > 0.3:
                last[0] = now
                store.set_job(job_id, "running", progress=min(max(frac, 0.0), 0.99))

        try:
            job = store.get_job(None, job_id)
            store.set_job(job_id, "running", progress=0.0, message="")
            vi = store.get_visit_image(None, job.visit_image_id)
            data = store.image_bytes(vi.image.sha256)
            record = self.analyser(data, vi.um_per_px, self.settings, progress)
            analysis = store.add_analysis(vi.id, record)
            store.set_job(job_id, "done", progress=1.0, analysis_id=analysis.id)
            log.info("job %d done: analysis %d of image %d", job_id, analysis.id, vi.id)
        except TrichometryError as exc:
            log.warning("job %d failed: %s", job_id, exc)
            store.set_job(job_id, "failed", message=str(exc))
        except Exception as exc:  # a bug: keep the service alive, record it, log the trace
            log.exception("job %d crashed", job_id)
            store.set_job(
                job_id, "failed", message=f"internal error ({type(exc).__name__}); see the server log."
            )
