"""Whose fault a failure is: one message's (quarantine it) or the store's (hold and retry).

Ingest must tell the two apart. An outage taken for a bad message loses alerts: the edge drops
an alert once central says ``rejected``. A bad message taken for an outage stalls ingest for
good: it is never acknowledged, keeps one of the broker's in-flight slots, and comes back after
every restart. So only errors of the store's environment hold a message: the database
connection (SQLAlchemy's ``OperationalError``, ``InterfaceError``, a pool timeout) and the
snapshot disk (``OSError``); and the consumer confirms them by asking the database whether it
answers (``resilient``). Everything else (``DataError``, ``IntegrityError``, ``ValueError``,
``OverflowError``, a ``RecursionError`` ...) is the message's.
"""

from __future__ import annotations

import enum
import re

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gridwatch_central.db.engine import RetryTransactionError, is_transient_lock_error

# Quarantine codes of failures after the contract accepted the message.
UNPROCESSABLE = "unprocessable"  # decoding or preparing raised something no ContractError names
STORE_FAILED = "store_failed"  # the database refused this message while it answered others
TOPIC_MISMATCH = "topic_mismatch"  # the payload names an edge, camera or event its topic does not

# A reason is read by people in the quarantine list and the edge's log; the database error's
# first lines say what was wrong, the rest is the statement and its parameters.
MAX_REASON_CHARS = 500
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


class Failure(enum.Enum):
    OUTAGE = "outage"  # the database or the snapshot disk is not there: hold, retry
    TRANSIENT = "transient"  # a lock conflict or a race: retry a few times, then the message's
    MESSAGE = "message"  # this message cannot be stored: quarantine it


def classify(error: BaseException) -> Failure:
    if isinstance(error, RetryTransactionError) or is_transient_lock_error(error):
        return Failure.TRANSIENT
    if isinstance(error, OSError):  # the snapshot disk (full, read-only, gone)
        return Failure.OUTAGE
    if isinstance(error, (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)):
        return Failure.OUTAGE
    return Failure.MESSAGE


def describe(error: BaseException) -> str:
    """``Type: message`` of ``error``, on one line, without control characters, bounded."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = f"{type(cause).__name__}: {cause}"
    return clean_text(text, MAX_REASON_CHARS)


def clean_text(text: str, limit: int) -> str:
    """``text`` with every run of control characters replaced by one space, cut to ``limit``."""
    cleaned = _CONTROL_CHARACTERS.sub(" ", text).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."
