"""One way to build an engine for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic_core import to_json
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
ResultT = TypeVar("ResultT")

# How long a SQLite writer waits for another's lock before failing: the API reads while the
# consumer writes, and a short alert transaction takes milliseconds, so 5 s is ample headroom.
SQLITE_BUSY_TIMEOUT_MS = 5000
# When the busy timeout is not enough (SQLite gives up at once on a lock upgrade that would
# deadlock, whatever the timeout) the whole transaction is retried: 6 attempts with doubling
# back-off from 20 ms (jittered) wait about 1.2 s in all before the error is raised.
LOCK_RETRY_ATTEMPTS = 6
LOCK_RETRY_FIRST_DELAY_S = 0.02
# How long a new PostgreSQL connection may take. libpq waits for ever by default, so a database
# host that drops packets (rather than refusing) would hang ingest's outage probe and /healthz;
# a healthy server on the LAN answers in milliseconds. A URL's own connect_timeout wins.
PG_CONNECT_TIMEOUT_S = 5
# PostgreSQL SQLSTATEs that mean "run the same transaction again": deadlock, serialization.
_PG_RETRYABLE = {"40P01", "40001"}


def normalise_url(database_url: str) -> str:
    """Use psycopg 3 for a bare ``postgresql://`` URL (SQLAlchemy would pick psycopg2)."""
    url = make_url(database_url)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def make_engine(
    database_url: str, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> Engine:
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, json_serializer=dump_json)

        def pragmas(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_pragmas(dbapi_connection, sqlite_busy_timeout_ms)

        event.listen(engine, "connect", pragmas)
        return engine
    # pre_ping: a PostgreSQL restart must not cost the first alert after it.
    connect_args = (
        {} if "connect_timeout" in url.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    )
    return create_engine(
        url, pool_pre_ping=True, json_serializer=dump_json, connect_args=connect_args
    )


def dump_json(value: Any) -> str:
    """JSON columns' serializer: pydantic-core's (Rust) instead of the standard library's,
    which cost ingest ~25 µs per alert for its two JSON columns."""
    return to_json(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets API readers proceed while the consumer writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # SQLite ignores foreign keys unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services return ORM rows after committing, for mapping to models.
    return sessionmaker(engine, expire_on_commit=False)


class RetryTransactionError(RuntimeError):
    """Raised inside a transaction whose premise a concurrent writer changed: run it again."""


def is_transient_lock_error(error: BaseException) -> bool:
    """A lock conflict that a retry of the whole transaction resolves."""
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        return True
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "sqlstate", None) in _PG_RETRYABLE
    return False


def run_in_transaction(
    sessions: sessionmaker[Session],
    work: Callable[[Session], ResultT],
    *,
    attempts: int = LOCK_RETRY_ATTEMPTS,
    first_delay_s: float = LOCK_RETRY_FIRST_DELAY_S,
) -> ResultT:
    """Run ``work`` in one transaction, retrying it from scratch on a transient lock error or
    when ``work`` raises ``RetryTransactionError``.

    ``work`` must be safe to repeat: everything it did in a failed attempt was rolled back.
    """
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            with sessions.begin() as session:
                return work(session)
        except (DBAPIError, RetryTransactionError) as error:
            transient = isinstance(error, RetryTransactionError) or is_transient_lock_error(error)
            if attempt == attempts or not transient:
                raise
            cause = error.orig if isinstance(error, DBAPIError) else error
            log.info("transaction hit %s; retry %d in %.0f ms", cause, attempt, delay * 1e3)
            # Jitter so that two writers that collided do not collide again in lock step.
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
