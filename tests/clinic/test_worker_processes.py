"""Two `trichometry worker` processes on one PostgreSQL database: every job runs to
completion exactly once, including the one whose worker is SIGKILLed in the middle of it."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from trichometry.store import Store
from trichometry.synth import generate_sample

from ..store.conftest import pg_schema_url

N_JOBS = 8
LEASE_S = 3.0


def _photo(seed: int) -> bytes:
    s = generate_sample(seed, width=640, height=480, um_per_px=5.0)
    buf = io.BytesIO()
    Image.fromarray(s.image).save(buf, "PNG")
    return buf.getvalue()


def _worker(db_url: str, data_dir) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "trichometry.cli.main", "worker", "--db", db_url, "--data", str(data_dir),
           "--method", "classical", "--lease", str(LEASE_S), "--poll", "0.2"]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.timeout(300)
def test_two_workers_run_every_job_once_even_when_one_is_killed(tmp_path):
    db_url, drop_schema = pg_schema_url()
    data = tmp_path / "data"
    store = Store.open(data, db_url)
    workers: list[subprocess.Popen] = []
    try:
        admin = store.create_user("admin", "admin-password-1", "admin")
        store.create_site("A", "A", actor=admin)
        visit = store.create_visit(admin, store.create_subject(admin, "S-1", "A").id, "2026-01-01", "frontal")
        images = [
            store.add_image(admin, visit.id, _photo(k), f"{k}.png", um_per_px=5.0)[0] for k in range(N_JOBS)
        ]
        jobs = [store.create_job(admin, vi.id, "classical").id for vi in images]
        workers = [_worker(db_url, data), _worker(db_url, data)]
        victim = workers[0]

        def victim_busy() -> bool:
            return any(j.status == "running" and f":{victim.pid}:" in (j.claimed_by or "")
                       for j in (store.get_job(None, i) for i in jobs))  # fmt: skip

        _wait(victim_busy, 120, "the first worker to start a job")
        killed = next(i for i in jobs if f":{victim.pid}:" in (store.get_job(None, i).claimed_by or "")
                      and store.get_job(None, i).status == "running")  # fmt: skip
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        _wait(lambda: not store.unfinished_jobs(), 180, "every job to finish")
        final = [store.get_job(None, i) for i in jobs]
        assert [j.status for j in final] == ["done"] * N_JOBS, [(j.id, j.status, j.message) for j in final]
        for vi in images:  # one analysis per photo: none lost, none recorded twice
            assert len(store.analyses_of(vi.id)) == 1
        lost = store.get_job(None, killed)
        assert lost.attempts == 2 and f":{workers[1].pid}:" in lost.claimed_by
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                try:
                    w.wait(30)
                except subprocess.TimeoutExpired:
                    w.kill()
        store.close()
        drop_schema()
