from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TRICHOMETRY_ADMIN_PASSWORD", "TRICHOMETRY_DB")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trichometry.cli.main", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read()}")
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start within 60 s")


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_serve_creates_db_admin_and_answers(tmp_path):
    proc, base = start_server(tmp_path / "data")
    try:
        assert (tmp_path / "data" / "trichometry.sqlite").is_file()
        assert httpx.get(f"{base}/api/subjects").status_code == 401
        assert httpx.get(f"{base}/subjects").status_code == 303
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        out = stop(proc)
    assert "Created the first administrator" in out
    password = out.split("password '", 1)[1].split("'", 1)[0]
    proc, base = start_server(tmp_path / "data")  # restart: same database, no second admin
    try:
        with httpx.Client(base_url=base) as c:
            assert c.post("/api/login", json={"username": "admin", "password": password}).status_code == 200
            assert c.get("/api/me").json()["role"] == "admin"
    finally:
        out2 = stop(proc)
    assert "Created the first administrator" not in out2


@pytest.mark.parametrize("bad", [["--port", "0"], ["--db", "mysql://x@y/z"]])
def test_serve_bad_options(tmp_path, bad):
    from click.testing import CliRunner

    from trichometry.cli.main import cli

    res = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path / "d"), *bad])
    assert res.exit_code != 0 and res.output.strip()
