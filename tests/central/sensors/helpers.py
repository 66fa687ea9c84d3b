"""Builders for sensor tests: registering sensors and reading what central made of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from gridwatch.sensor_gateway import SimulatedGateway
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.sensors.models import SensorIn
from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import DEMO_POINT

GATEWAY = "gw-1"


def register(runtime: CentralRuntime, sensor_id: str, sensor_type: str, **fields: Any) -> None:
    body = SensorIn(
        id=sensor_id,
        gateway_id=fields.pop("gateway_id", GATEWAY),
        vendor_code=fields.pop("vendor_code", "ACME-1"),
        sensor_type=sensor_type,
        lat=fields.pop("lat", DEMO_POINT.lat),
        lon=fields.pop("lon", DEMO_POINT.lon),
        **fields,
    )
    with runtime.sessions() as session:
        runtime.sensors.registry.create(session, body, runtime.grid_store.index)


def sensor_alerts(runtime: CentralRuntime, sensor_id: str) -> list[AlertRow]:
    with runtime.sessions() as session:
        query = (
            select(AlertRow)
            .where(AlertRow.source == "sensor", AlertRow.camera_id == sensor_id)
            .order_by(AlertRow.received_at, AlertRow.event_type, AlertRow.sequence)
        )
        return list(session.scalars(query))


@contextmanager
def gateway(broker: BrokerConfig, gateway_id: str = GATEWAY) -> Iterator[SimulatedGateway]:
    simulated = SimulatedGateway(broker, gateway_id)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.close()
