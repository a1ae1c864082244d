"""Alembic environment: connects with the application's own settings and connector.

So migrations use the same TLS mode, CA bundle and Secrets Manager credentials as the
API. Schema changes are written by hand (no autogenerate: there is no ORM metadata).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from innovate_api.config import load_settings
from innovate_api.db import Connector


def run_migrations_online() -> None:
    connection: Any = context.config.attributes.get("connection")
    if connection is not None:  # a caller (tests, CLI) passed an open connection
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connector = Connector(load_settings())
    engine = sa.create_engine(
        "postgresql+psycopg://", creator=connector.connect, poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        context.configure(connection=conn, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
