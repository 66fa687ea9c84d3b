"""Alembic environment: always given an open connection by ``upgrade_to_head``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from gridwatch_central.db.tables import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through gridwatch_central.db.migrate.upgrade_to_head")
# render_as_batch: SQLite cannot ALTER most things, so future migrations use batch mode.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
