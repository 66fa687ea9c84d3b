from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from gridwatch_central.db.engine import make_engine
from gridwatch_central.db.migrate import (
    MigrationResult,
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from gridwatch_central.db.tables import Base
from gridwatch_central.ingest.quarantine import QUARANTINE_PREFIX_BYTES


def test_migrations_match_the_models(database_url: str) -> None:
    upgrade_to_head(database_url)
    upgrade_to_head(database_url)  # a second run at head is a no-op
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert set(inspect(connection).get_table_names()) >= {
                "alerts",
                "cases",
                "case_timeline",
                "quarantined_messages",
                "incidents",
                "incident_events",
                "incident_timeline",
                "case_extensions",
                "supervisions",
                "snapshot_index",
            }
    finally:
        engine.dispose()


def test_the_chain_has_one_head_and_a_fresh_database_reaches_only_it(database_url: str) -> None:
    """Branches that each added a migration are re-chained when merged: two heads would make
    ``upgrade head`` refuse, and a database must end on the single head, not beside it."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [head_revision()]
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == tuple(heads)
    finally:
        engine.dispose()


def test_sqlite_connections_use_wal_and_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        engine.dispose()


def test_old_quarantine_rows_are_cut_to_the_prefix_with_size_and_hash(database_url: str) -> None:
    """0007_ingest_hardening: rows that kept whole messages keep the first 64 KiB, and gain the
    size and SHA-256 of what they held."""
    engine = make_engine(database_url)
    whole = b"{" + b"x" * (QUARANTINE_PREFIX_BYTES * 3)
    try:
        with engine.begin() as connection:
            _upgrade(connection, "0006_snapshot_packs")
            connection.execute(
                text(
                    "INSERT INTO quarantined_messages (topic, payload, error_code, reason,"
                    " received_at) VALUES ('t', :payload, 'too_large', 'r', :at)"
                ),
                {"payload": whole, "at": datetime(2026, 1, 1, tzinfo=UTC)},
            )
            _upgrade(connection, "head")
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT payload, payload_size, payload_sha256 FROM quarantined_messages")
            ).one()
    finally:
        engine.dispose()
    assert bytes(row.payload) == whole[:QUARANTINE_PREFIX_BYTES]
    assert (row.payload_size, row.payload_sha256) == (len(whole), hashlib.sha256(whole).hexdigest())


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def test_central_processes_starting_together_migrate_once(database_url: str) -> None:
    """Several workers migrating one empty database at once: one migrates, the others wait for
    it and find the schema at head (PostgreSQL: advisory lock; SQLite: its write lock)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: _upgrade_or_error(database_url), range(3)))
    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == []
    migrated = [result for result in results if isinstance(result, MigrationResult)]
    assert sum(result.changed for result in migrated) == 1
    assert {result.after for result in migrated} == {head_revision()}
    assert current_revision(database_url) == head_revision()


def _upgrade_or_error(database_url: str) -> MigrationResult | BaseException:
    try:
        return upgrade_to_head(database_url)
    except Exception as error:  # returned, so the assertion lists what failed
        return error
