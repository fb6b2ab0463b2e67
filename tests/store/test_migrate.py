from __future__ import annotations

from sqlalchemy import inspect, text

from trichometry.store.engine import make_engine, resolve_db_url
from trichometry.store.migrate import current_revision, head_revision, upgrade


def test_upgrade_is_idempotent_and_sqlite_is_durable(tmp_path):
    engine = make_engine(resolve_db_url(None, tmp_path))
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert {"analyses", "audit_log", "images", "visits"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "trichometry.sqlite").is_file()


def test_downgrade_removes_everything(tmp_path):
    from alembic import command

    from trichometry.store.migrate import alembic_config

    engine = make_engine(resolve_db_url(None, tmp_path))
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_bad_urls(tmp_path):
    import pytest

    from trichometry.errors import ConfigError

    with pytest.raises(ConfigError):
        resolve_db_url("mysql://u@h/db", tmp_path)
    with pytest.raises(ConfigError):
        resolve_db_url("not a url", tmp_path)
    assert resolve_db_url("postgresql://u:p@h/db", tmp_path).startswith("postgresql+psycopg://")


def test_models_and_migrations_agree(tmp_path):
    """A model change without a migration fails here (write one with alembic revision --autogenerate)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from trichometry.store.models import Base

    engine = make_engine(resolve_db_url(None, tmp_path))
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
