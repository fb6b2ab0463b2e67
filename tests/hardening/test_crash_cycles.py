"""Crash recovery (RELIABILITY.md test 10): a writer killed at random moments, many times.

A forked child uploads photos, appends analyses (with overlay files) and corrections,
and reports each id only after its transaction committed. The parent SIGKILLs it at a
random moment, 20 times (``TRICHOMETRY_CRASH_CYCLES`` for more). Afterwards the
database passes ``PRAGMA integrity_check``, every acknowledged record exists with its
file, no record is half-written, the audit chain verifies, and the recovery sweep leaves
no stray temporary or unreferenced file behind (without touching a referenced one).
"""

from __future__ import annotations

import os
import random
import select as select_mod
import signal
import time

import numpy as np
import pytest
from hardening_samples import png_bytes
from sqlalchemy import select, text

from trichometry.store import AnalysisRecord, Store
from trichometry.store.models import Analysis, AuditEvent, Correction, Image, VisitImage
from trichometry.store.recovery import sweep

CYCLES = int(os.environ.get("TRICHOMETRY_CRASH_CYCLES", "20"))


def _writer(data_dir, visit_id: int, seed: int, fd: int) -> None:
    st = Store.open(data_dir, migrate=False)
    admin = st.get_user(1)
    rng = np.random.default_rng(seed)
    n = 0
    while True:
        data = png_bytes(int(rng.integers(0, 2**31)), 48)
        vi, _ = st.add_image(admin, visit_id, data, "x.png")
        os.write(fd, f"image {vi.id}\n".encode())
        rec = AnalysisRecord("classical", "t", "1", "-", "t", "0" * 64, "ok", {"count": 1}, {"n": n},
                             overlay_png=data[::-1])  # fmt: skip
        a = st.add_analysis(vi.id, rec, actor=admin)
        os.write(fd, f"analysis {a.id}\n".encode())
        if n % 3 == 0:
            st.correct_analysis(admin, a.id, {"count": 2}, "recounted")
            os.write(fd, f"correction {a.id}\n".encode())
        n += 1


def _run_and_kill(data_dir, visit_id: int, seed: int, delay_s: float) -> list[str]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            _writer(data_dir, visit_id, seed, w)
        finally:
            os._exit(1)
    os.close(w)
    buf = b""
    deadline = time.monotonic() + 30
    while b"\n" not in buf:  # wait for the first acknowledged write
        assert time.monotonic() < deadline, "writer did not start"
        if select_mod.select([r], [], [], 0.5)[0]:
            chunk = os.read(r, 65536)
            assert chunk, "writer died before writing"
            buf += chunk
    time.sleep(delay_s)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while chunk := os.read(r, 65536):
        buf += chunk
    os.close(r)
    return buf.decode().splitlines()


@pytest.mark.timeout(300)
def test_writer_killed_many_times_loses_nothing(tmp_path):
    data = tmp_path / "data"
    st = Store.open(data)
    admin = st.create_user("admin", "admin-password", "admin")
    st.create_site("A", "A", actor=admin)
    visit = st.create_visit(admin, st.create_subject(admin, "S-1", "A").id, "2026-01-01", "frontal")
    st.close()
    acked: dict[str, set[int]] = {"image": set(), "analysis": set(), "correction": set()}
    rnd = random.Random(1234)
    for cycle in range(CYCLES):
        for line in _run_and_kill(data, visit.id, cycle, rnd.uniform(0.0, 0.4)):
            kind, ident = line.split()
            acked[kind].add(int(ident))
    assert len(acked["image"]) >= CYCLES  # at least one acknowledged upload per cycle

    st = Store.open(data)
    with st.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    with st.session() as s:
        links = {v.id: v for v in s.execute(select(VisitImage)).scalars()}
        images = list(s.execute(select(Image)).scalars())
        analyses = {a.id: a for a in s.execute(select(Analysis)).scalars()}
        corrected = {c.analysis_id for c in s.execute(select(Correction)).scalars()}
        events = [(e.action, e.target) for e in s.execute(select(AuditEvent)).scalars()]
    # every acknowledged record exists
    assert acked["image"] <= set(links)
    assert acked["analysis"] <= set(analyses)
    assert acked["correction"] <= corrected
    # no half records: every image has its visit link and its upload/store audit events,
    # every analysis its audit event, every record its file
    linked = {v.image_id for v in links.values()}
    assert all(i.id in linked for i in images)
    audited = {t for a, t in events if a == "image.upload"}
    assert {f"visit_image:{i}" for i in links} == audited
    assert {f"analysis:{i}" for i in analyses} == {t for a, t in events if a == "analysis.create"}
    for sha in [i.sha256 for i in images] + [a.overlay_sha256 for a in analyses.values()]:
        st.blobs.read(sha)  # present and matching its hash
    assert st.verify_audit() == (True, None)
    # recovery: a young-file sweep leaves everything, a full one clears every stray
    kept = sweep(st, min_age_s=3600)
    assert kept.temporaries == [] and kept.orphans == []
    strays = sweep(st, min_age_s=0)
    assert st.blobs.stray_temporaries() == [] and st.orphan_files() == set()
    for sha in [i.sha256 for i in images] + [a.overlay_sha256 for a in analyses.values()]:
        st.blobs.read(sha)  # the sweep removed nothing referenced
    st.close()
    print(
        f"crash cycles {CYCLES}: {len(links)} uploads, {len(analyses)} analyses, {len(corrected)} "
        f"corrections kept; swept {len(strays.temporaries)} temporaries, {len(strays.orphans)} orphans"
    )
