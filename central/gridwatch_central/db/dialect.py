"""The bound database's own INSERT, for ``ON CONFLICT`` clauses plain SQL lacks.

Central runs on PostgreSQL in production and on SQLite in tests and small deployments; both
spell upserts ``INSERT ... ON CONFLICT``, but SQLAlchemy builds them with each dialect's own
``insert``. Every repository module asks here instead of choosing itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """``INSERT INTO table`` built by the dialect ``session`` is bound to."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")  # pragma: no cover
