"""Where the clinic store lives: the data folder, the database URL and the engine.

SQLite is the default: one file ``trichometry.sqlite`` under the data folder, opened in
WAL mode with ``synchronous=FULL`` (a commit survives a power cut) and foreign keys on.
PostgreSQL is used when a URL such as ``postgresql+psycopg://user:pw@host/db`` is given.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from trichometry.errors import ConfigError
from trichometry.utils.atomic import ensure_writable_dir

log = logging.getLogger(__name__)

DATA_ENV = "TRICHOMETRY_DATA"
DB_ENV = "TRICHOMETRY_DB"
DEFAULT_DATA_DIR = "./trichometry-data"
SQLITE_NAME = "trichometry.sqlite"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``data_dir``, else ``$TRICHOMETRY_DATA``, else ``./trichometry-data``.

    The folder is created when missing and must be writable.

    Raises:
        OutputError: the folder cannot be created or written.
    """
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    return ensure_writable_dir(Path(chosen).expanduser().resolve())


def resolve_db_url(db_url: str | None, data_dir: Path) -> str:
    """The database URL: ``db_url``, else ``$TRICHOMETRY_DB``, else SQLite in ``data_dir``.

    Raises:
        ConfigError: the URL cannot be parsed or names an unsupported database.
    """
    url = db_url or os.environ.get(DB_ENV) or f"sqlite:///{data_dir / SQLITE_NAME}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"cannot parse database URL {url!r}: {exc}. Use e.g. sqlite:///path/db.sqlite or "
            "postgresql+psycopg://user:password@host:5432/dbname."
        ) from exc
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"database {parsed.get_backend_name()!r} is not supported; use SQLite (default) or "
            "PostgreSQL (postgresql+psycopg://...)."
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # the driver must not emit BEGIN; _sqlite_begin does
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


READ_ONLY = "trichometry_read_only"


def _sqlite_begin(conn) -> None:
    # Writers take the write lock up front: concurrent writers queue (busy_timeout) instead
    # of failing later with SQLITE_BUSY_SNAPSHOT, and the audit chain stays linear. Readers
    # (engines with the READ_ONLY execution option) start a plain snapshot and never wait.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine for ``url`` with the durability settings above."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            ensure_writable_dir(Path(parsed.database).parent)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    log.debug("database engine for %s", parsed.render_as_string(hide_password=True))
    return engine
