from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.migrate import upgrade_to_head


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh, migrated database (SQLite and PostgreSQL)."""
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    try:
        yield make_sessions(engine)
    finally:
        engine.dispose()
