"""Store fixtures: every store test runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import io
import os
import uuid

import numpy as np
import pytest
from PIL import Image

from trichometry.store import Store

PG_ENV = "TRICHOMETRY_TEST_PG_URL"


def png_bytes(seed: int = 0, size: int = 64) -> bytes:
    """A small random PNG (different seeds give different bytes)."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(seed: int = 0, size: int = 64) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def pg_schema_url():
    """``(url, cleanup)``: a URL on a fresh PostgreSQL schema of its own, and what drops it;
    skips the test when PostgreSQL is not configured."""
    from sqlalchemy import create_engine, text

    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f'PostgreSQL not configured: run `eval "$(.ci/services.sh)"` to set {PG_ENV}')
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", lambda: _drop_schema(admin, schema)


def _pg_store(tmp_path):
    url, cleanup = pg_schema_url()
    return Store.open(tmp_path / "data", url), cleanup


def _drop_schema(admin, schema: str) -> None:
    from sqlalchemy import text

    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap Argon2 parameters: the tests check the logic, not the work factor."""
    from argon2 import PasswordHasher

    import trichometry.store.passwords as passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (migrating once saves seconds per test)."""
    folder = tmp_path_factory.mktemp("template")
    Store.open(folder).close()  # dispose() checkpoints the WAL into the main file
    return folder / "trichometry.sqlite"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, sqlite_template) -> Store:
    """An empty, migrated store on each database back end."""
    if request.param == "sqlite":
        import shutil

        (tmp_path / "data").mkdir()
        shutil.copy(sqlite_template, tmp_path / "data" / "trichometry.sqlite")
        st = Store.open(tmp_path / "data")
        yield st
        st.close()
    else:
        st, cleanup = _pg_store(tmp_path)
        yield st
        st.close()
        cleanup()


@pytest.fixture
def world(store):
    """A store with two sites, an admin, a clinician per site and a coordinator."""
    admin = store.create_user("admin", "admin-password", "admin")
    store.create_site("A", "Site A")
    store.create_site("B", "Site B")
    doc_a = store.create_user("doc_a", "password-a-123", "clinician", "A", actor=admin)
    doc_b = store.create_user("doc_b", "password-b-123", "clinician", "B", actor=admin)
    coord = store.create_user("coord", "password-c-123", "coordinator", actor=admin)
    return {"store": store, "admin": admin, "doc_a": doc_a, "doc_b": doc_b, "coord": coord}
