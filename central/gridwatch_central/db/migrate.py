"""Programmatic Alembic: bring a database to the newest schema, no alembic.ini needed.

Several central processes may start at once on one database, each migrating at start: they
take turns (PostgreSQL: a transaction-scoped advisory lock; SQLite: an exclusive ``flock`` on
a file beside the database), so the first one migrates and the others find the schema at head
instead of racing to create the same tables.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from gridwatch_central.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant shared by every central process; "gridwatch" in ASCII, so it is recognisable
# in pg_locks.
MIGRATION_LOCK_KEY = 0x67726964776174


@dataclass(frozen=True, slots=True)
class MigrationResult:
    before: str | None  # None: an empty database
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision this build knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None for an empty (never migrated) database."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return _revision(connection)
    finally:
        engine.dispose()


def upgrade_to_head(database_url: str) -> MigrationResult:
    engine = make_engine(database_url)
    try:
        with _sqlite_file_lock(engine), engine.begin() as connection:
            _lock_migrations(connection)
            before = _revision(connection)
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            after = _revision(connection)
    finally:
        engine.dispose()
    if after is None:  # pragma: no cover - upgrade either reaches head or raises
        raise RuntimeError("the database has no revision after migrating")
    return MigrationResult(before, after)


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _lock_migrations(connection: Connection) -> None:
    """PostgreSQL: held until the migration's transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """SQLite: an exclusive lock on ``<database>.migrate.lock`` for the whole migration.

    SQLite's own locks do not serialise migrations: Python's driver runs DDL outside any
    transaction, so two processes both find no ``alembic_version`` table and both create it.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
