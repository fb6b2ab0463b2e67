"""Jobs shared by several workers: atomic claims, leases, and results recorded once."""

from __future__ import annotations

import time

from trichometry.store import AnalysisRecord

from .conftest import png_bytes


def _images(world, n: int):
    store, admin = world["store"], world["admin"]
    subject = store.create_subject(admin, "S-1", "A")
    visit = store.create_visit(admin, subject.id, "2026-01-01", "frontal")
    return [store.add_image(admin, visit.id, png_bytes(k), f"{k}.png", um_per_px=4.0)[0] for k in range(n)]


def _record(tag: str) -> AnalysisRecord:
    return AnalysisRecord(method="classical", model_name=tag, model_version="0", weights_sha256="-",
                          code_version="test", config_hash="-", quality="ok", summary={"count": 1},
                          result={"hairs": []})  # fmt: skip


def test_claims_are_one_job_per_worker_oldest_first(world):
    store = world["store"]
    images = _images(world, 3)
    jobs = [store.create_job(None, vi.id, "classical") for vi in images]
    a = store.claim_job("worker-a")
    b = store.claim_job("worker-b")
    c = store.claim_job("worker-a")
    assert [a.id, b.id, c.id] == [j.id for j in jobs]
    assert store.claim_job("worker-b") is None  # all three are held
    got = store.get_job(None, b.id)
    assert (got.status, got.claimed_by, got.attempts) == ("running", "worker-b", 1)


def test_only_the_claim_holder_records_and_a_lapsed_claim_moves_on(world):
    store = world["store"]
    (vi,) = _images(world, 1)
    job = store.create_job(None, vi.id, "classical")
    assert store.claim_job("slow", lease_s=0.5).id == job.id
    assert store.claim_job("other", lease_s=0.5) is None
    time.sleep(0.7)  # "slow" stopped beating: its claim lapses
    taken = store.claim_job("other", lease_s=0.5)
    assert taken.id == job.id and taken.attempts == 2
    assert not store.beat(job.id, "slow")
    assert store.finish_job(job.id, "slow", _record("late")) is None  # nothing written
    assert not store.fail_job(job.id, "slow", "too late")
    analysis = store.finish_job(job.id, "other", _record("on time"))
    assert analysis is not None
    done = store.get_job(None, job.id)
    assert (done.status, done.analysis_id) == ("done", analysis.id)
    assert [a.model_name for a in store.analyses_of(vi.id)] == ["on time"]
    assert store.claim_job("third") is None  # done jobs are never claimed again
