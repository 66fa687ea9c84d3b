"""Sensor gateways on the shipped secured broker, with a real central: a gateway publishes
only its own batches (the broker refuses the rest), and a batch on its own topic naming another
gateway's sensor is quarantined ``wrong_gateway`` by central."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gridwatch.sensor_gateway import SimulatedGateway
from gridwatch_central.broker_accounts import AccountPlan
from gridwatch_central.db.tables import QuarantineRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.sensors import SensorBatch, SensorRecord, SensorRecordKind
from tests.central.helpers import make_config
from tests.central.sensors.helpers import register, sensor_alerts
from tests.mqtt_probe import Probe
from tests.secured_broker import SecuredBroker, secured_broker

RECEIPT_TIMEOUT_S = 20.0


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[SecuredBroker]:
    with secured_broker(tmp_path / "broker") as running:
        for gateway_id in ("gw-a", "gw-b"):
            out = str(running.password_file(AccountPlan.gateway_username(gateway_id)))
            assert running.admin("add-gateway", gateway_id, "--password-out", out) == 0
        yield running


@pytest.fixture
def central(broker: SecuredBroker, tmp_path: Path, sqlite_url: str) -> Iterator[CentralRuntime]:
    runtime = CentralRuntime(make_config(sqlite_url, broker.account("central"), tmp_path))
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


def _gateway(broker: SecuredBroker, gateway_id: str) -> SimulatedGateway:
    gateway = SimulatedGateway(broker.account(AccountPlan.gateway_username(gateway_id)), gateway_id)
    gateway.start()
    return gateway


def _alarm(sensor_id: str) -> SensorRecord:
    return SensorRecord(
        sensor_id=sensor_id,
        sensor_type="smoke",
        kind=SensorRecordKind.ALARM,
        observed_at=datetime.now(UTC) - timedelta(seconds=1),
    )


def test_a_gateway_cannot_publish_for_another_gateways_sensor(
    broker: SecuredBroker, central: CentralRuntime
) -> None:
    register(central, "s-b", "smoke", gateway_id="gw-b")
    topics = broker.anonymous.topics
    forged = SensorBatch(
        message_id="00000000-0000-4000-8000-000000000001",
        gateway_id="gw-b",
        sent_at=datetime.now(UTC),
        records=[_alarm("s-b")],
    )
    probe = Probe(broker.account(AccountPlan.gateway_username("gw-a")), "gw-a")
    try:
        assert not probe.connect().is_failure
        # The broker refuses gw-a on gw-b's topic, whatever the payload says.
        assert probe.publish(topics.sensor_batches("gw-b"), encode_message(forged)).is_failure
    finally:
        probe.close()
    gateway_a = _gateway(broker, "gw-a")
    try:  # on its own topic, naming gw-b's sensor: central refuses the record
        gateway_a.send([_alarm("s-b")])
        assert gateway_a.wait_for_receipts(RECEIPT_TIMEOUT_S)
    finally:
        gateway_a.close()
    assert [r.rejected_records for r in gateway_a.receipts.values()] == [1]
    gateway_b = _gateway(broker, "gw-b")
    try:  # the owner's own alarm goes through (and, sent last, proves the forgery never came)
        gateway_b.send([_alarm("s-b")])
        assert gateway_b.wait_for_receipts(RECEIPT_TIMEOUT_S)
    finally:
        gateway_b.close()
    assert [alert.state for alert in sensor_alerts(central, "s-b")] == ["new"]
    with central.sessions() as session:
        codes = list(session.scalars(select(QuarantineRow.error_code)))
    assert codes == ["wrong_gateway"]
