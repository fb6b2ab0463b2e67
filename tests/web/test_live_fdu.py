"""Timing of the real service on a real photo: `trichometry serve` in a subprocess, one
70x FDU photo uploaded over HTTP, analysed in the background, subject page and PDF.

    .venv/bin/pytest tests/web/test_live_fdu.py -m "slow and fdu" -s -p no:cacheprovider
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest


@pytest.mark.slow
@pytest.mark.fdu
def test_real_photo_through_the_running_service(fdu_root, tmp_path):
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TRICHOMETRY_ADMIN_PASSWORD": "admin-password-1"}
    env.pop("TRICHOMETRY_DB", None)
    cmd = [
        sys.executable,
        "-m",
        "trichometry.cli.main",
        "serve",
        "--data",
        str(tmp_path / "d"),
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        c = httpx.Client(base_url=base, timeout=60)
        c.headers["X-CSRF-Token"] = c.post(
            "/api/login", json={"username": "admin", "password": "admin-password-1"}
        ).json()["csrf_token"]
        subj = c.post("/api/subjects", json={"code": "FDU-1", "site": "MAIN"}).json()
        visit = c.post(f"/api/subjects/{subj['id']}/visits", json={"date": "2022-01-05"}).json()
        photo = sorted((fdu_root / "images").glob("*.jpg"))[0]
        t0 = time.perf_counter()
        files = [("files", (photo.name, photo.read_bytes(), "image/jpeg"))]
        r = c.post(f"/api/visits/{visit['id']}/images", files=files, data={"um_per_px": "2.8"})
        t_upload = time.perf_counter() - t0
        assert r.status_code == 201, r.text
        while True:
            jobs = c.get(f"/api/visits/{visit['id']}/jobs").json()
            if all(j["status"] in ("done", "failed") for j in jobs):
                break
            assert time.perf_counter() - t0 < 300, "analysis took more than 5 minutes"
            time.sleep(0.1)
        t_done = time.perf_counter() - t0
        assert jobs[0]["status"] == "done", jobs
        t1 = time.perf_counter()
        pdf = c.get(f"/subjects/{subj['id']}/report.pdf")
        t_pdf = time.perf_counter() - t1
        assert pdf.content[:5] == b"%PDF-"
        summary = c.get(f"/api/images/{r.json()[0]['visit_image_id']}").json()["analysis"][
            "effective_summary"
        ]
        print(
            f"\n{photo.name}: upload {t_upload:.2f} s, analysed after {t_done:.2f} s, PDF {t_pdf:.2f} s; "
            f"{summary['count']} hairs, {summary['density_per_cm2']:.1f}/cm2, quality {summary['quality']}"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
