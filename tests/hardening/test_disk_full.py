"""Issue 28: a full disk. The data folder (and, for PostgreSQL, a tablespace holding the
store's tables) sits on a small filesystem of fixed size; uploads run until it is full.
Every request stores everything or nothing and a refused one answers HTTP 507 with what
to do; reads keep working; once the filesystem grows, uploads resume and the audit chain
and the database verify. Needs root to mount the filesystem (CI runs as root); skips with
the reason elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from trichometry.store import Store

from ..store.conftest import PG_ENV
from ..web.conftest import PASSWORD, fake_analyser

SMALL = "4m"


def _mount(path, size: str):
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    return lambda: subprocess.run(["umount", "-l", str(path)], check=False)


def _grow(path, size: str = "256m") -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def _photo(seed: int) -> bytes:
    """About 150 KB of noise: PNG cannot shrink it, so the disk fills predictably."""
    pixels = np.random.default_rng(seed).integers(0, 255, (224, 224, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def _pg_tablespace(mount_dir):
    """A PostgreSQL URL whose new tables go to a tablespace on ``mount_dir``, and its cleanup."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f'PostgreSQL not configured: run `eval "$(.ci/services.sh)"` to set {PG_ENV}')
    if shutil.which("psql") is None or shutil.which("su") is None:
        pytest.skip("psql / su not found: cannot create a tablespace as the postgres superuser")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"ts_{uuid.uuid4().hex[:10]}"
    loc = mount_dir / "pg"
    loc.mkdir()
    shutil.chown(loc, "postgres", "postgres")
    db, user = make_url(url).database, make_url(url).username
    sql = f"CREATE TABLESPACE {name} OWNER {user} LOCATION '{loc}'"
    done = subprocess.run(["su", "postgres", "-c", f'psql -d {db} -v ON_ERROR_STOP=1 -c "{sql}"'],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot create a tablespace: {done.stderr.strip()[:200]}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    opts = f"-csearch_path%3D{schema}%20-cdefault_tablespace%3D{name}"
    full = f"{url}{'&' if '?' in url else '?'}options={opts}"

    def cleanup() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        subprocess.run(["su", "postgres", "-c", f'psql -d {db} -c "DROP TABLESPACE {name}"'], check=False)
        admin.dispose()

    return full, cleanup


@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_full_disk_refuses_whole_requests_and_recovers(backend, tmp_path, fast_password_hashing):
    from fastapi.testclient import TestClient

    from trichometry.web.app import ServiceSettings, create_app

    # outside pytest's private folder: the postgres server must reach it for the tablespace
    small = Path(tempfile.mkdtemp(prefix="trichometry-full-"))
    os.chmod(small, 0o755)
    unmount = _mount(small, SMALL)
    url, cleanup = (None, lambda: None)
    try:
        if backend == "postgresql":
            url, cleanup = _pg_tablespace(small)
        store = Store.open(small / "data", url)
        try:
            admin = store.create_user("admin", PASSWORD, "admin")
            store.create_site("A", "Site A", actor=admin)
            store.create_user("doc", PASSWORD, "clinician", "A", actor=admin)
            app = create_app(store, ServiceSettings(max_files=5), analyser=fake_analyser)
            with TestClient(app) as c:
                r = c.post("/api/login", json={"username": "doc", "password": PASSWORD})
                c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
                subject = c.post("/api/subjects", json={"code": "S-FULL"}).json()
                visit = c.post(f"/api/subjects/{subject['id']}/visits", json={"date": "2026-01-05"}).json()
                stored, refused, seed = 0, 0, 0
                images = f"/api/visits/{visit['id']}/images"

                def count() -> int:
                    return len(c.get(f"/api/visits/{visit['id']}").json()["images"])

                while refused < 2:
                    assert seed < 200, "the filesystem never filled"
                    photos = [_photo(seed + k) for k in range(2)]
                    files = [("files", (f"{seed + k}.png", p, "image/png")) for k, p in enumerate(photos)]
                    seed += 2
                    n_before = count()
                    r = c.post(images, files=files, data={"um_per_px": "4"})
                    if r.status_code == 507:
                        refused += 1
                        detail = r.json()["detail"]
                        assert "storage is full" in detail and "Free disk space" in detail
                        assert count() == n_before, "a refused request stored a photo"
                        kept = store.blobs.all_hashes() & {hashlib.sha256(p).hexdigest() for p in photos}
                        assert not kept, "a refused request left a file behind"
                        assert store.blobs.stray_temporaries() == []
                    else:
                        assert r.status_code == 201, r.text
                        stored += 2
                # reads keep working on the full disk
                assert c.get(f"/api/subjects/{subject['id']}").status_code == 200
                photos = c.get(f"/api/visits/{visit['id']}").json()["images"]
                assert len(photos) == stored >= 2
                assert c.get(f"/images/{photos[0]['id']}/original").status_code == 200
                # space returns: writing resumes
                _grow(small)
                files = [("files", ("later.png", _photo(10_000), "image/png"))]
                r = c.post(images, files=files, data={"um_per_px": "4"})
                assert r.status_code == 201, r.text
            assert store.verify_audit() == (True, None)
            if backend == "sqlite":
                with store.engine.connect() as conn:
                    assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            for vi in store.list_visit_images(store.active_user("admin"), visit["id"]):
                store.blobs.read(vi.image.sha256)
        finally:
            store.close()
    finally:
        cleanup()
        unmount()
        shutil.rmtree(small, ignore_errors=True)
