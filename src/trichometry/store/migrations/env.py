"""Alembic environment: runs on the engine handed over by :mod:`trichometry.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from trichometry.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: needs sqlalchemy.url in the config
    engine = create_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
