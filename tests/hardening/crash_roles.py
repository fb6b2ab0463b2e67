"""Kill cycles with the clinic's four writers (issue 28), shared by the test and the benchmark.

Each cycle forks an **uploader** (photo + analysis job), two **workers** (claim a job,
write its analysis and overlay, mark it done) and a **reviewer** (corrections), all on
one store (SQLite, or PostgreSQL with the files in one data folder). Every role reports
each id on a pipe only after its transaction committed; the parent SIGKILLs each role at
its own random moment. After the cycles a clean worker finishes what the killed ones
left (their leases run out), and :func:`check` proves: every acknowledged upload,
analysis and correction is present and whole, every job was done exactly once, the audit
chain verifies, and the recovery sweep leaves no stray file and touches no referenced one.
"""

from __future__ import annotations

import os
import random
import select as select_mod
import signal
import time
from collections import defaultdict
from typing import Any

import numpy as np
from hardening_samples import png_bytes
from sqlalchemy import select, text

from trichometry.store import AnalysisRecord, Store
from trichometry.store.models import Analysis, AuditEvent, Correction, Image, Job, VisitImage
from trichometry.store.recovery import sweep

ROLES = ("uploader", "worker-a", "worker-b", "reviewer")
LEASE_S = 1.0


def _record(rng: np.random.Generator, n: int) -> AnalysisRecord:
    overlay = png_bytes(int(rng.integers(0, 2**31)), 24)
    result = {"hairs": [], "n": n}
    return AnalysisRecord(
        "classical", "crash", "1", "-", "t", "0" * 64, "ok", {"count": n}, result, overlay_png=overlay
    )


def _role(role: str, data_dir, db_url: str | None, visit_id: int, seed: int, fd: int) -> None:
    st = Store.open(data_dir, db_url, migrate=False)
    admin = st.get_user(1)
    rng = np.random.default_rng(seed)
    say = lambda line: os.write(fd, f"{line}\n".encode())  # noqa: E731
    name = f"{role}:{os.getpid()}"
    say("ready")  # the parent's kill timer starts here, not while the process starts
    while True:
        if role == "uploader":
            vi, _ = st.add_image(admin, visit_id, png_bytes(int(rng.integers(0, 2**31)), 32), "x.png", 3.0)
            say(f"image {vi.id}")
            job = st.create_job(admin, vi.id, "classical")
            say(f"job {job.id}")
        elif role.startswith("worker"):
            job = st.claim_job(name, lease_s=LEASE_S)
            if job is None:
                time.sleep(0.01)
                continue
            time.sleep(float(rng.uniform(0, 0.03)))  # the analysis itself
            done = st.finish_job(job.id, name, _record(rng, int(rng.integers(0, 50))))
            if done is not None:
                say(f"done {job.id} {done.id}")
        else:  # reviewer
            with st.read() as s:
                ids = list(s.execute(select(Analysis.id).order_by(Analysis.id.desc()).limit(20)).scalars())
            if not ids:
                time.sleep(0.01)
                continue
            a = int(rng.choice(ids))
            c = st.correct_analysis(admin, a, {"count": int(rng.integers(0, 50))}, "recounted by hand")
            say(f"correction {c.id} {a}")


def run_cycle(data_dir, db_url: str | None, visit_id: int, seed: int, rnd: random.Random) -> list[str]:
    """Fork the four roles, SIGKILL each at its own random moment; the lines they acknowledged."""
    pipes, pids = [], []
    for k, role in enumerate(ROLES):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                _role(role, data_dir, db_url, visit_id, seed * 10 + k, w)
            except BaseException as exc:
                os.write(w, f"error {type(exc).__name__}: {exc}\n".encode()[:2000])
            finally:
                os._exit(1)
        os.close(w)
        pipes.append(r)
        pids.append(pid)
    start = time.monotonic()
    kill_at: dict[int, float] = {}
    out: dict[int, bytes] = defaultdict(bytes)
    alive = set(pids)
    while alive:
        now = time.monotonic()
        for pid, r in zip(pids, pipes):
            if pid not in kill_at and (b"ready" in out[r] or now - start > 30):
                kill_at[pid] = now + rnd.uniform(0.1, 0.7)
        for pid in [p for p in alive if kill_at.get(p, now + 1) <= now]:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            alive.discard(pid)
        ready, _, _ = select_mod.select(pipes, [], [], 0.01)
        for r in ready:
            out[r] += os.read(r, 65536)
    for r in pipes:
        while chunk := os.read(r, 65536):
            out[r] += chunk
        os.close(r)
    return [line for r in pipes for line in out[r].decode().splitlines() if line != "ready"]


def finish_pending(store: Store, timeout_s: float = 60.0) -> int:
    """A clean worker finishes every job the killed ones left; returns how many it did."""
    rng = np.random.default_rng(0)
    deadline = time.monotonic() + timeout_s
    n = 0
    while store.unfinished_jobs():
        assert time.monotonic() < deadline, "jobs left unfinished"
        job = store.claim_job("final", lease_s=LEASE_S)
        if job is None:
            time.sleep(0.1)  # a killed worker's lease has not run out yet
            continue
        assert store.finish_job(job.id, "final", _record(rng, 1)) is not None
        n += 1
    return n


def setup(data_dir, db_url: str | None) -> int:
    """A migrated store with an admin, a site and a visit; returns the visit id."""
    st = Store.open(data_dir, db_url)
    admin = st.create_user("admin", "admin-password", "admin")
    st.create_site("A", "A", actor=admin)
    visit = st.create_visit(admin, st.create_subject(admin, "S-1", "A").id, "2026-01-01", "frontal")
    st.close()
    return visit.id


def check(store: Store, lines: list[str]) -> dict[str, Any]:
    """Assert what issue 28 promises; return the figures checked."""
    acked: dict[str, set] = defaultdict(set)
    for line in lines:
        if line.startswith("error"):
            continue  # a role that failed said why; the test reports it
        kind, *ids = line.split()
        acked[kind].add(tuple(int(i) for i in ids) if len(ids) > 1 else int(ids[0]))
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    with store.read() as s:
        links = {v.id for v in s.execute(select(VisitImage)).scalars()}
        images = list(s.execute(select(Image)).scalars())
        jobs = {j.id: j for j in s.execute(select(Job)).scalars()}
        analyses = {a.id: a for a in s.execute(select(Analysis)).scalars()}
        corrections = {c.id: c.analysis_id for c in s.execute(select(Correction)).scalars()}
        events = list(s.execute(select(AuditEvent.action, AuditEvent.target)).all())
    assert acked["image"] <= links, "an acknowledged upload is missing"
    assert acked["job"] <= set(jobs), "an acknowledged job is missing"
    assert all(j.status == "done" for j in jobs.values()), "a job was lost"
    # exactly one analysis per job and no other: none lost, none done twice
    assert sorted(j.analysis_id for j in jobs.values()) == sorted(analyses), (
        "a job was done twice or not at all"
    )
    for job_id, analysis_id in acked["done"]:
        assert jobs[job_id].analysis_id == analysis_id, "an acknowledged completion was replaced"
    for corr_id, analysis_id in acked["correction"]:
        assert corrections.get(corr_id) == analysis_id, "an acknowledged correction is missing"
    assert {f"visit_image:{i}" for i in links} == {t for a, t in events if a == "image.upload"}
    assert {f"analysis:{i}" for i in analyses} == {t for a, t in events if a == "analysis.create"}
    referenced = [i.sha256 for i in images] + [
        a.overlay_sha256 for a in analyses.values() if a.overlay_sha256
    ]
    for sha in referenced:
        store.blobs.read(sha)  # present and matching its hash
    assert store.verify_audit() == (True, None)
    strays = sweep(store, min_age_s=0)
    assert store.blobs.stray_temporaries() == [] and store.orphan_files() == set()
    for sha in referenced:
        store.blobs.read(sha)  # the sweep removed nothing referenced
    return {"uploads": len(links), "jobs": len(jobs), "analyses": len(analyses),
            "corrections": len(corrections), "acknowledged": {k: len(v) for k, v in acked.items()},
            "swept_temporaries": len(strays.temporaries), "swept_orphans": len(strays.orphans)}  # fmt: skip
