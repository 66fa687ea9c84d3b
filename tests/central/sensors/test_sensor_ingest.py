"""Sensor batches through a real broker into a real central (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from gridwatch.sensor_traces import TRACES
from gridwatch_central.db.tables import (
    IncidentRow,
    QuarantineRow,
    SensorBatchRow,
    SensorSampleRow,
    SensorStateRow,
)
from gridwatch_central.metrics.sensors import compute_sensor_metrics
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.sensors import SensorRecord, SensorRecordKind
from tests.central.case_loop_helpers import OPERATOR
from tests.central.helpers import wait_until
from tests.central.sensors.helpers import gateway, register, sensor_alerts

TYPED_TRACES = [name for name in sorted(TRACES) if TRACES[name].expected]


def test_each_sensor_type_trace_gives_exactly_its_events(
    runtime: CentralRuntime, broker: BrokerConfig
) -> None:
    with gateway(broker) as gw:
        for name in TYPED_TRACES:
            register(runtime, f"s-{name}", TRACES[name].sensor_type)
        for name in TYPED_TRACES:
            gw.play(TRACES[name], f"s-{name}")
        assert gw.wait_for_receipts(30)
    assert {receipt.status for receipt in gw.receipts.values()} == {"stored"}
    for name in TYPED_TRACES:
        alerts = sensor_alerts(runtime, f"s-{name}")
        assert tuple(alert.state for alert in alerts) == TRACES[name].expected, name
        assert {alert.event_type for alert in alerts} == {TRACES[name].sensor_type}
        assert len({alert.event_id for alert in alerts}) == 1
        assert alerts[0].incident_id is not None  # every sensor category has a route
    with runtime.sessions() as session:
        water = session.get(IncidentRow, sensor_alerts(runtime, "s-water_rising")[0].incident_id)
        assert water is not None
        runtime.review.reject(session, water.id, OPERATOR, reason="a burst main, not rain")
        session.commit()
        now = datetime.now(UTC)
        rows = compute_sensor_metrics(
            session, start=now - timedelta(hours=1), end=now + timedelta(hours=1), as_of=now
        )
    figures = {row.sensor_type: row.figures for row in rows}
    assert {kind: f.alarms for kind, f in figures.items()} == {
        TRACES[name].sensor_type: 1 for name in TYPED_TRACES
    }
    assert figures["water_level"].false_alarms == 1
    assert figures["water_level"].false_alarm_rate == 1.0
    assert figures["gas"].verified == 1  # gas verifies itself


def test_readings_are_kept_compactly_not_as_alerts(
    runtime: CentralRuntime, broker: BrokerConfig
) -> None:
    """600 readings of a quiet sensor: one state row, a handful of samples, no alert."""
    register(runtime, "s-quiet", "water_level")
    base = datetime.now(UTC) - timedelta(hours=1)
    records = [
        SensorRecord(
            sensor_id="s-quiet",
            sensor_type="water_level",
            kind=SensorRecordKind.READING,
            observed_at=base + timedelta(seconds=5 * i),
            value=20.0 + i % 7,
        )
        for i in range(600)
    ]
    with gateway(broker) as gw:
        for start in range(0, len(records), 100):
            gw.send(records[start : start + 100])
        assert gw.wait_for_receipts(30)
    with runtime.sessions() as session:
        samples = session.scalar(select(func.count()).select_from(SensorSampleRow))
        state = session.get(SensorStateRow, "s-quiet")
    assert sensor_alerts(runtime, "s-quiet") == []
    assert samples == 50  # one a minute (sample_interval_s 60) over 50 minutes
    assert state is not None
    assert state.last_value == 20.0 + 599 % 7


def test_a_duplicate_batch_is_stored_once(runtime: CentralRuntime, broker: BrokerConfig) -> None:
    register(runtime, "s-gas", "gas")
    trace = TRACES["gas_leak"]
    records = trace.records("s-gas", datetime.now(UTC) - timedelta(minutes=5))
    message_id = uuid.uuid4()
    with gateway(broker) as gw:
        gw.send(records, message_id=message_id)
        assert gw.wait_for_receipts(20)
        gw.receipts.clear()
        gw.send(records, message_id=message_id)  # a gateway resending after a lost receipt
        assert gw.wait_for_receipts(20)
    assert gw.receipts[message_id].status == "duplicate"
    with runtime.sessions() as session:
        batches = session.scalar(select(func.count()).select_from(SensorBatchRow))
    assert batches == 1
    assert [alert.state for alert in sensor_alerts(runtime, "s-gas")] == ["new", "end"]


def test_bad_records_are_quarantined_with_a_reason_and_the_rest_is_stored(
    runtime: CentralRuntime, broker: BrokerConfig
) -> None:
    register(runtime, "s-water", "water_level")
    register(runtime, "s-other", "water_level", gateway_id="gw-2")
    now = datetime.now(UTC)

    def record(sensor_id: str, **fields: object) -> SensorRecord:
        values: dict[str, object] = {
            "sensor_id": sensor_id,
            "sensor_type": "water_level",
            "kind": SensorRecordKind.READING,
            "observed_at": now - timedelta(seconds=1),
            "value": 10.0,
        }
        return SensorRecord.model_validate(values | fields)

    batch = [
        record("s-water"),
        record("s-nobody"),
        record("s-other"),
        record("s-water", sensor_type="gas", observed_at=now),
        record("s-water", sensor_type="lidar", observed_at=now),
        record("s-water", value=50_000.0, observed_at=now),
        record("s-water", observed_at=now + timedelta(hours=2)),
    ]
    with gateway(broker) as gw:
        message_id = gw.send(batch)
        gw.publish_raw(b'{"schema_version": 1, "message_id": "x"')  # not even JSON
        assert gw.wait_for_receipts(20)
    receipt = gw.receipts[message_id]
    assert (receipt.status, receipt.rejected_records) == ("stored", 6)
    with runtime.sessions() as session:
        codes = sorted(session.scalars(select(QuarantineRow.error_code)))
        reasons = list(session.scalars(select(QuarantineRow.reason)))
    assert codes == sorted(
        [
            "unknown_sensor",
            "wrong_gateway",
            "type_mismatch",
            "unknown_type",
            "out_of_range",
            "clock_ahead",
            "malformed_json",
        ]
    )
    assert any("belongs to gateway gw-2" in reason for reason in reasons)
    with runtime.sessions() as session:
        state = session.get(SensorStateRow, "s-water")
    assert state is not None
    assert state.last_value == 10.0


def test_a_gateway_cannot_publish_for_another_gateways_topic_payload(
    runtime: CentralRuntime, broker: BrokerConfig
) -> None:
    """A payload naming another gateway than its topic is refused as a whole."""
    register(runtime, "s-water", "water_level", gateway_id="gw-2")
    with gateway(broker, "gw-1") as gw:
        forged = {
            "schema_version": 1,
            "message_id": str(uuid.uuid4()),
            "gateway_id": "gw-2",
            "sent_at": datetime.now(UTC).isoformat(),
            "records": [
                {
                    "sensor_id": "s-water",
                    "sensor_type": "water_level",
                    "kind": "alarm",
                    "observed_at": datetime.now(UTC).isoformat(),
                }
            ],
        }
        gw.publish_raw(json.dumps(forged).encode())
        wait_until(lambda: bool(gw.receipts), 20)
    assert [r.status for r in gw.receipts.values()] == ["rejected"]
    assert sensor_alerts(runtime, "s-water") == []
