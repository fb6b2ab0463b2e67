"""Analysis workers: they claim queued jobs from the database, run them and record the result.

Each upload creates a :class:`~trichometry.store.models.Job` (``pending``). A
:class:`Worker` claims the oldest claimable job in one atomic statement
(:meth:`~trichometry.store.jobs.JobsMixin.claim_job`: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), beats while it works, and records the analysis and ``done`` in one
transaction that holds only while its claim does (or ``failed`` with the reason). Any
number of workers share one database: threads of the web server (:class:`JobRunner`),
``trichometry worker`` processes on other machines, or both. A worker that dies stops
beating; after the lease its job is claimable again and runs once more from the start.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from trichometry.clinic.analysis import Analyser, AnalysisSettings, default_analyser
from trichometry.errors import TrichometryError
from trichometry.store import StorageFull, Store
from trichometry.store.jobs import DEFAULT_LEASE_S

log = logging.getLogger(__name__)


def worker_name(prefix: str = "") -> str:
    """A name no other worker has: host, process, a random tag."""
    base = f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return f"{prefix}{base}"[:64]


class Worker:
    """Claims and runs jobs of ``store`` until stopped.

    Args:
        store: the clinic store (its database is shared with other workers).
        settings: analysis method and options.
        analyser: the function doing the work (default: the project's library).
        name: this worker's name in the jobs table (default: host, pid and a random tag).
        lease_s: a claim lapses when not renewed for this long (the worker beats at a
            quarter of it).
        poll_s: how long to sleep when no job is waiting.
    """

    def __init__(
        self,
        store: Store,
        settings: AnalysisSettings,
        analyser: Analyser | None = None,
        name: str | None = None,
        lease_s: float = DEFAULT_LEASE_S,
        poll_s: float = 1.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.analyser = analyser or default_analyser
        self.name = name or worker_name()
        self.lease_s = float(lease_s)
        self.poll_s = float(poll_s)
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self, *, idle_exit: bool = False) -> int:
        """Run jobs until :meth:`stop` (or, with ``idle_exit``, until none is waiting);
        returns how many it ran."""
        done = 0
        while not self.stopping.is_set():
            if self.run_one():
                done += 1
                continue
            if idle_exit:
                break
            self.wake.wait(self.poll_s)
            self.wake.clear()
        return done

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def run_one(self) -> bool:
        """Claim one job and run it; ``False`` when none was waiting."""
        job = self.store.claim_job(self.name, self.lease_s)
        if job is None:
            return False
        beating = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job.id, beating), daemon=True)
        beat.start()
        try:
            self._run(job.id, job.visit_image_id)
        finally:
            beating.set()
            beat.join()
        return True

    def _beat(self, job_id: int, finished: threading.Event) -> None:
        while not finished.wait(self.lease_s / 4):
            try:
                alive = self.store.beat(job_id, self.name)
            except StorageFull:
                log.error("worker %s cannot renew its claim on job %d: the disk is full", self.name, job_id)
                return
            if not alive:
                log.warning("worker %s lost its claim on job %d", self.name, job_id)
                return

    def _run(self, job_id: int, visit_image_id: int) -> None:
        store, last = self.store, [0.0]

        def progress(frac: float) -> None:
            now = time.monotonic()
            if now - last[0] > 0.3:
                last[0] = now
                store.beat(job_id, self.name, progress=min(max(frac, 0.0), 0.99))

        try:
            vi = store.get_visit_image(None, visit_image_id)
            record = self.analyser(store.image_bytes(vi.image.sha256), vi.um_per_px, self.settings, progress)
            analysis = store.finish_job(job_id, self.name, record)
            if analysis is None:
                log.warning("job %d: claim lost before it finished; another worker records it", job_id)
            else:
                log.info("job %d done by %s: analysis %d of image %d", job_id, self.name, analysis.id, vi.id)
        except StorageFull as exc:  # not the photo's fault: leave the job, its claim lapses, it runs again
            log.error("job %d not stored, the disk is full: %s", job_id, exc)
            self.stopping.wait(self.lease_s)
        except TrichometryError as exc:
            log.warning("job %d failed: %s", job_id, exc)
            store.fail_job(job_id, self.name, str(exc))
        except Exception as exc:  # a bug: keep the worker alive, record it, log the trace
            log.exception("job %d crashed", job_id)
            store.fail_job(job_id, self.name, f"internal error ({type(exc).__name__}); see the worker log.")


class JobRunner:
    """The web server's own workers: ``workers`` threads, each a :class:`Worker`.

    Jobs queued here may as well be run by ``trichometry worker`` processes on the same
    database; whoever claims a job first runs it.
    """

    def __init__(
        self,
        store: Store,
        settings: AnalysisSettings,
        analyser: Analyser | None = None,
        workers: int = 1,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        self.store = store
        self.settings = settings
        tag = worker_name("web:")
        self._workers = [
            Worker(store, settings, analyser, name=f"{tag}:{k}"[:64], lease_s=lease_s)
            for k in range(max(1, workers))
        ]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self._threads:
            return
        for w in self._workers:
            t = threading.Thread(target=w.run, name=f"analysis-{w.name}", daemon=True)
            t.start()
            self._threads.append(t)

    def enqueue(self, visit_image_id: int, actor=None) -> int:  # type: ignore[no-untyped-def]
        """Create a job for a visit photo and wake a worker; returns the job id."""
        job = self.store.create_job(actor, visit_image_id, self.settings.method)
        self.wake()
        return job.id

    def wake(self) -> None:
        """Start the workers if needed and have them look for jobs now."""
        self.start()
        for w in self._workers:
            w.wake.set()

    def recover(self) -> int:
        """Start the workers; jobs left pending, or running under a lapsed claim (an earlier
        process died), are claimed like any other. Returns how many were waiting."""
        n = len(self.store.unfinished_jobs())
        if n:
            log.info("%d unfinished analysis jobs waiting", n)
        self.start()
        return n

    def wait(self, timeout: float = 60.0) -> None:
        """Block until no job is pending or running (for the CLI and tests)."""
        deadline = time.monotonic() + timeout
        while self.store.unfinished_jobs():
            if time.monotonic() > deadline:
                raise TimeoutError(f"analysis jobs still unfinished after {timeout:.0f} s")
            time.sleep(0.05)

    def shutdown(self) -> None:
        for w in self._workers:
            w.stop()
        for t in self._threads:
            t.join()
        self._threads = []
