"""The store-side guard: whatever the contract lets through, one message cannot stall ingest.

The contract now refuses the values that stalled ingest (see tests/contract/
test_storable_values.py); these tests take that guard away for one message, handing the real
database a row the contract would have refused, as a looser contract or a bug of tomorrow
might: its batch is split, the message alone is quarantined as ``store_failed``, the rest of
the batch is stored. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import repository
from gridwatch_central.ingest.quarantine import QUARANTINE_PREFIX_BYTES, Rejected
from gridwatch_central.ingest.resilient import ResilientIngest
from gridwatch_central.ingest.service import IncomingMessage, PreparedAlert
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_alert, encode_message
from tests.central.helpers import alert_topic, make_alert

# A time zone whose shift pushes year 1 below datetime's range when made UTC.
_FAR_EAST = timezone(timedelta(hours=14))

# (what, the row change, databases it is poison for): SQLite stores NUL and NaN text happily.
POISON: list[tuple[str, dict[str, Any], set[str]]] = [
    ("integer beyond any column", {"sequence": 2**70}, {"sqlite", "postgresql"}),
    (
        "timestamp at the edge of the range",
        {"started_at": datetime(1, 1, 1, tzinfo=_FAR_EAST)},
        {"sqlite", "postgresql"},
    ),
    ("NUL inside a string", {"model_name": "yolox\0nano"}, {"postgresql"}),
    ("NaN in a JSON column", {"measurements": {"person_count": math.nan}}, {"postgresql"}),
]


def _prepared(runtime: CentralRuntime, **row: Any) -> PreparedAlert:
    alert = make_alert()
    message = IncomingMessage(
        alert_topic(runtime.config.broker, alert), encode_alert(alert), runtime.clock()
    )
    prepared = runtime.ingest.prepare(message)
    assert isinstance(prepared, PreparedAlert)
    return dataclasses.replace(prepared, row=prepared.row | row)


@pytest.mark.parametrize(("what", "change", "poison_for"), POISON, ids=[p[0] for p in POISON])
def test_a_row_the_database_refuses_is_quarantined_and_its_batch_stored(
    runtime: CentralRuntime, what: str, change: dict[str, Any], poison_for: set[str]
) -> None:
    with runtime.sessions() as session:
        dialect = session.get_bind().dialect.name
    if dialect not in poison_for:
        pytest.skip(f"{dialect} stores {what}")
    batch = [_prepared(runtime) for _ in range(5)]
    poison = _prepared(runtime, **change)
    batch.insert(3, poison)
    resilient = ResilientIngest(runtime.ingest, runtime.ingest_metrics, threading.Event())

    outcomes = resilient.store(batch)

    assert [o.status if o else None for o in outcomes] == ["stored"] * 3 + ["rejected"] + [
        "stored"
    ] * 2
    refused = outcomes[3]
    assert refused is not None
    assert (refused.alert_id, refused.code) == (poison.alert.alert_id, "store_failed")
    assert runtime.summary()["alerts"] == 5
    with runtime.sessions() as session:
        (row,) = repository.list_quarantine(session, Scope.everything(), 10, 0).items
    assert (row.error_code, row.payload_size, row.payload_sha256) == (
        "store_failed",
        poison.size,
        None,
    )
    assert row.payload == poison.header  # its JSON header: the part that was refused
    assert b'"alert_id"' in row.payload
    splits = runtime.ingest_metrics.batch_splits.collect()
    assert [s.value for m in splits for s in m.samples if s.name.endswith("_total")] >= [1]
    assert runtime.ingest_metrics.progress.snapshot().outage is False


def test_quarantine_keeps_a_bounded_prefix_its_size_and_hash(runtime: CentralRuntime) -> None:
    alert = make_alert()
    topic = alert_topic(runtime.config.broker, alert)
    payload = encode_message(alert)[:-1] + b"x" * (5 * QUARANTINE_PREFIX_BYTES)
    outcome = runtime.ingest.handle(topic, payload)
    assert (outcome.status, outcome.alert_id) == ("rejected", alert.alert_id)
    with runtime.sessions() as session:
        (row,) = repository.list_quarantine(session, Scope.everything(), 10, 0).items
    expected = Rejected.of_payload(topic, payload, runtime.clock(), "x", "y")
    assert row.payload == payload[:QUARANTINE_PREFIX_BYTES]
    assert (row.payload_size, row.payload_sha256) == (len(payload), expected.sha256)


def test_a_quarantine_reason_never_carries_control_characters(runtime: CentralRuntime) -> None:
    """A field name with a NUL shows up in the reason: PostgreSQL text and the receipt's
    contract both refuse it, so it is replaced, never stored or sent."""
    alert = make_alert()
    topic = alert_topic(runtime.config.broker, alert)
    payload = encode_message(alert)[:-1] + b',"bad\\u0000\\u001bfield":1}'
    outcome = runtime.ingest.handle(topic, payload)
    assert (outcome.status, outcome.code) == ("rejected", "unknown_field")
    assert outcome.reason is not None
    assert "\0" not in outcome.reason
    assert "\x1b" not in outcome.reason
    assert "AlertMessage has no field(s): bad" in outcome.reason
