"""Retention in a running central: evidence of open cases survives, the rest goes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from gridwatch_central.db.tables import IncidentRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import GeoPoint, Snapshot
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import TINY_JPEG, make_alert, make_config


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def one_image_per_pack(
    database_url: str, broker: BrokerConfig, tmp_path: Path, clock: ManualClock
) -> Iterator[CentralRuntime]:
    """A central whose every image starts a new pack, so retention can tell images apart."""
    config = make_config(database_url, broker, tmp_path)
    central = CentralRuntime(
        config.model_copy(update={"snapshot_pack_max_bytes": 1}), clock=clock, run_scheduler=False
    )
    central.start()
    try:
        yield central
    finally:
        central.stop()


def test_runtime_retention_keeps_evidence_of_open_cases(
    one_image_per_pack: CentralRuntime, clock: ManualClock
) -> None:
    runtime = one_image_per_pack
    open_image, closed_image = TINY_JPEG + b"open", TINY_JPEG + b"closed"
    open_alert = make_alert(snapshot=Snapshot(data=open_image, width=8, height=8))
    # 1.1 km away: a crowd of its own, so an incident of its own.
    closed_alert = make_alert(
        snapshot=Snapshot(data=closed_image, width=8, height=8),
        location=GeoPoint(lat=30.2390, lon=108.3985),
    )
    topic = "gridwatch/v1/alerts/edge-01/cam-01/crowd"
    outcomes = [runtime.ingest.handle(topic, encode_message(a)) for a in (open_alert, closed_alert)]
    assert outcomes[0].incident_id != outcomes[1].incident_id
    with runtime.sessions.begin() as session:
        # The first still waits for review; the second was rejected as a false alarm.
        session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == outcomes[1].incident_id)
            .values(status="FALSE_ALARM")
        )
    runtime.snapshots.write(b"later image")  # the pack being written is never deleted
    clock.now += timedelta(days=365)  # both images are far past retention

    report = runtime.prune_snapshots()

    assert (report.deleted, report.deleted_packs) == (1, 1)
    assert (report.kept_referenced, report.kept_packs) == (1, 1)
    assert runtime.snapshots.read(hashlib.sha256(open_image).hexdigest()) == open_image
    assert runtime.snapshots.read(hashlib.sha256(closed_image).hexdigest()) is None
