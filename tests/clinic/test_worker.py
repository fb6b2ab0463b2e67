from __future__ import annotations

import pytest

from trichometry.clinic.analysis import AnalysisSettings
from trichometry.clinic.worker import JobRunner
from trichometry.errors import ImageRejected
from trichometry.store import Store

from ..web.conftest import fake_analyser, photo_png


@pytest.fixture
def store_with_image(tmp_path):
    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", "admin-password", "admin")
    store.create_site("A", "A", actor=admin)
    subject = store.create_subject(admin, "S-1")
    visit = store.create_visit(admin, subject.id, "2026-01-01", "frontal")
    vi, _ = store.add_image(admin, visit.id, photo_png(1), "a.png", um_per_px=4.0)
    yield store, vi
    store.close()


def test_job_runs_and_records_provenance(store_with_image):
    store, vi = store_with_image
    runner = JobRunner(store, AnalysisSettings(), fake_analyser)
    job_id = runner.enqueue(vi.id)
    runner.wait(30)
    job = store.get_job(None, job_id)
    assert (job.status, job.progress) == ("done", 1.0)
    analysis = store.get_analysis(None, job.analysis_id)
    assert analysis.image_sha256 == vi.image.sha256 and analysis.model_name == "fake-test-analyser"
    runner.shutdown()


def test_failures_are_recorded_not_raised(store_with_image):
    store, vi = store_with_image

    def refuses(*_a):
        raise ImageRejected("too blurred to analyse; re-take the photo.")

    def crashes(*_a):
        raise ZeroDivisionError

    for analyser, message in ((refuses, "too blurred"), (crashes, "internal error (ZeroDivisionError)")):
        runner = JobRunner(store, AnalysisSettings(), analyser)
        job_id = runner.enqueue(vi.id)
        runner.wait(30)
        job = store.get_job(None, job_id)
        assert job.status == "failed" and message in job.message and job.analysis_id is None
        runner.shutdown()
    assert store.analyses_of(vi.id) == []


def test_unfinished_jobs_are_requeued_after_restart(store_with_image):
    store, vi = store_with_image
    job = store.create_job(None, vi.id, "classical")
    store.set_job(job.id, "running", progress=0.4)  # the process died here
    runner = JobRunner(store, AnalysisSettings(), fake_analyser)
    assert runner.recover() == 1
    runner.wait(30)
    assert store.get_job(None, job.id).status == "done"
    assert store.unfinished_jobs() == []
    runner.shutdown()
