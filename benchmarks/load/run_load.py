"""Load test of the clinic service on loopback: many concurrent uploads, some hostile.

Starts ``trichometry serve`` on 127.0.0.1 (a fresh data folder, classical analysis in
the background: the service under load is measured, not the detector, and the server's
memory bound below is for it), logs in, creates a subject with one visit per client, then lets
``--clients`` threads send ``--requests`` uploads in all. Payloads are a mix of valid
photos (unique, plus deliberate repeats of the same bytes) and hostile files (truncated,
bombs, HTML renamed .jpg, zip, oversize). Measured: requests/s, latency percentiles,
the server's peak resident memory, status counts. Checked: no 5xx, every valid upload
accepted, hostile ones refused with 4xx, and the visits hold exactly one record per
distinct accepted photo (repeats are one record).

A threaded httpx client is used instead of Locust: Locust pulls in gevent and a web UI
for what fits in 250 lines, and its numbers would not be easier to check.

Usage::

    python benchmarks/load/run_load.py --requests 2000 --clients 32 --out load.json

Exit status 1 when a check fails. Loopback only: the server never listens elsewhere.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

HOST = "127.0.0.1"
PASSWORD = "load-test-password-123"


def _photo(seed: int, fmt: str = "JPEG", size: int = 256) -> bytes:
    rng = np.random.default_rng(seed)
    img = rng.integers(80, 200, (size, size, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buf.getvalue()


def _hostile(kind: str, seed: int, max_upload: int) -> bytes:
    good = _photo(seed)
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "bomb":
        import struct
        import zlib

        def chunk(k: bytes, p: bytes) -> bytes:
            return struct.pack(">I", len(p)) + k + p + struct.pack(">I", zlib.crc32(k + p))

        ihdr = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 999))
    if kind == "html":
        return b"<html><script>alert(document.cookie)</script></html>" * 20
    if kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("../../evil.jpg", good)
        return buf.getvalue()
    if kind == "oversize":
        return good + b"\0" * (max_upload + 1 - len(good))
    raise ValueError(kind)


HOSTILE = ("truncated", "bomb", "html", "zip", "oversize")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _login(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60)
    r = c.post("/api/login", json={"username": "admin", "password": PASSWORD})
    r.raise_for_status()
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def run(requests: int, clients: int, hostile_share: float, repeat_share: float, seed: int,
        max_upload_mb: int = 2, max_rss_growth_mb: float = 500.0, keep: bool = False) -> dict:  # fmt: skip
    """Start the service, run the load, stop it; returns the figures and check results.

    Args:
        requests: uploads in all; clients: concurrent threads (one visit each).
        hostile_share / repeat_share: fractions of hostile payloads and of repeated photos.
        max_upload_mb: the server's per-photo limit (oversize payloads go one byte above).
        max_rss_growth_mb: allowed growth of the server's resident memory over its idle level.
        keep: keep the temporary data folder (its path is in the result).
    """
    data_dir = Path(tempfile.mkdtemp(prefix="trichometry-load-"))
    port = _free_port()
    env = {**os.environ, "TRICHOMETRY_ADMIN_PASSWORD": PASSWORD, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "trichometry.cli.main", "serve", "--host", HOST, "--port", str(port),
           "--data", str(data_dir), "--max-upload-mb", str(max_upload_mb),
           "--method", "classical"]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.2)
        admin = _login(base)
        subj = admin.post("/api/subjects", json={"code": "LOAD-1", "site": "MAIN"}).json()
        visits = [admin.post(f"/api/subjects/{subj['id']}/visits",
                             json={"date": f"2026-{1 + k // 28:02d}-{1 + k % 28:02d}"}).json()["id"]
                  for k in range(clients)]  # fmt: skip
        rnd = random.Random(seed)
        plan = []
        for i in range(requests):
            visit = visits[i % clients]
            u = rnd.random()
            if u < hostile_share:
                kind = HOSTILE[i % len(HOSTILE)]
                plan.append((visit, kind, _hostile(kind, i, max_upload_mb * 2**20)))
            elif u < hostile_share + repeat_share:
                plan.append((visit, "repeat", _photo(10**9 + i % 3)))  # three photos sent again and again
            else:
                plan.append((visit, "valid", _photo(i, "PNG" if i % 4 == 0 else "JPEG")))
        results: list[tuple[int, str, int, float, str]] = []
        lock = threading.Lock()
        peak = [0.0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_mb(server.pid))
                time.sleep(0.1)

        def worker(k: int) -> None:
            c = _login(base)
            for idx in range(k, len(plan), clients):
                visit, kind, data = plan[idx]
                t0 = time.perf_counter()
                try:
                    r = c.post(
                        f"/api/visits/{visit}/images", files=[("files", (f"p{idx}.jpg", data, "image/jpeg"))]
                    )
                    status, body = r.status_code, r.text
                except httpx.HTTPError as exc:
                    status, body = 0, repr(exc)
                dt = time.perf_counter() - t0
                sha = json.loads(body)[0]["sha256"] if status == 201 else ""
                with lock:
                    results.append((visit, kind, status, dt, sha))
            c.close()

        threading.Thread(target=sample, daemon=True).start()
        baseline = _rss_mb(server.pid)
        t_start = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t_start
        stop.set()
        stored = {v: [im["sha256"] for im in admin.get(f"/api/visits/{v}").json()["images"]] for v in visits}
        admin.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    lat = sorted(r[3] for r in results)
    by_kind = Counter((r[1], r[2]) for r in results)
    accepted = {(r[0], r[4]) for r in results if r[2] == 201}
    checks = {
        "no_5xx_or_connection_error": all(0 < r[2] < 500 for r in results),
        "every_valid_upload_accepted": all(r[2] == 201 for r in results if r[1] in ("valid", "repeat")),
        "every_hostile_upload_refused_4xx": all(400 <= r[2] < 500 for r in results if r[1] in HOSTILE),
        "stored_records_equal_distinct_accepted": all(
            sorted(stored[v]) == sorted({sha for vv, sha in accepted if vv == v}) for v in stored
        ),
        "no_duplicate_records": all(len(s) == len(set(s)) for s in stored.values()),
        "server_memory_bounded": peak[0] - baseline < max_rss_growth_mb,
    }
    return {
        "requests": len(results),
        "clients": clients,
        "wall_s": round(wall, 2),
        "requests_per_s": round(len(results) / wall, 1),
        "latency_ms": {
            "p50": round(1000 * statistics.median(lat), 1),
            "p95": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
            "p99": round(1000 * lat[int(0.99 * (len(lat) - 1))], 1),
            "max": round(1000 * lat[-1], 1),
        },
        "server_rss_mb": {"baseline": round(baseline, 1), "peak": round(peak[0], 1)},
        "status_by_kind": {f"{k}:{s}": n for (k, s), n in sorted(by_kind.items())},
        "records_stored": sum(len(s) for s in stored.values()),
        "checks": checks,
        "data_dir": str(data_dir) if keep else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--hostile-share", type=float, default=0.2)
    ap.add_argument("--repeat-share", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the server's data folder")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = ap.parse_args()
    if not (1 <= args.requests <= 100_000 and 1 <= args.clients <= 256):
        ap.error("--requests must be 1-100000 and --clients 1-256")
    figures = run(
        args.requests, args.clients, args.hostile_share, args.repeat_share, args.seed, keep=args.keep
    )
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if all(figures["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
