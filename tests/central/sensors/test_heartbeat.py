"""Heartbeat loss raises sensor_offline once, across two central processes on one database;
the sensor's return raises sensor_online once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from gridwatch_central.metrics.sensors import compute_sensor_metrics
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.sensors import SensorRecord, SensorRecordKind
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import make_config, wait_until
from tests.central.sensors.helpers import gateway, register, sensor_alerts


@pytest.fixture
def second(
    postgres_url: str, broker: BrokerConfig, tmp_path: Path, clock: ManualClock
) -> Iterator[tuple[CentralRuntime, CentralRuntime]]:
    """Two central processes on one PostgreSQL database and the test's clock."""
    runtimes = [
        CentralRuntime(
            make_config(postgres_url, broker, tmp_path / name), clock=clock, run_scheduler=False
        )
        for name in ("a", "b")
    ]
    for runtime in runtimes:
        runtime.start()
    try:
        yield runtimes[0], runtimes[1]
    finally:
        for runtime in runtimes:
            runtime.stop()


def _heartbeat(clock: ManualClock) -> SensorRecord:
    return SensorRecord(
        sensor_id="s-smoke",
        sensor_type="smoke",
        kind=SensorRecordKind.HEARTBEAT,
        observed_at=clock.now - timedelta(seconds=1),
    )


def test_heartbeat_loss_raises_sensor_offline_once(
    second: tuple[CentralRuntime, CentralRuntime], broker: BrokerConfig, clock: ManualClock
) -> None:
    a, b = second
    register(a, "s-smoke", "smoke", heartbeat_interval_s=60)
    for runtime in (a, b):
        runtime.sensors.directory.invalidate()
    with gateway(broker) as gw:
        gw.send([_heartbeat(clock)])
        assert gw.wait_for_receipts(20)
        clock.now += timedelta(seconds=100)  # 1.7 intervals: not yet missed (2.5)
        assert a.sensors.watchdog.tick() == []
        clock.now += timedelta(seconds=100)  # 3.3 intervals of silence
        marked: list[list[str]] = []
        threads = [
            threading.Thread(target=lambda r=r: marked.append(r.sensors.watchdog.tick()))
            for r in (a, b)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(marked) == [[], ["s-smoke"]]
        assert a.sensors.watchdog.tick() == []
        assert b.sensors.watchdog.tick() == []
        clock.now += timedelta(seconds=50)
        gw.send([_heartbeat(clock)])  # the gateway is back, 50 s after it was marked offline
        assert gw.wait_for_receipts(20)
    wait_until(lambda: len(sensor_alerts(a, "s-smoke")) == 2)
    alerts = sensor_alerts(a, "s-smoke")
    assert [alert.event_type for alert in alerts] == ["sensor_offline", "sensor_online"]
    assert all(alert.incident_id is None for alert in alerts)  # no route: stored, counted
    with a.sessions() as session:
        rows = compute_sensor_metrics(
            session,
            start=clock.now - timedelta(hours=1),
            end=clock.now + timedelta(hours=1),
            as_of=clock.now,
        )
    assert [(row.sensor_type, row.figures.offline_s, row.figures.alarms) for row in rows] == [
        ("smoke", 50.0, 0)
    ]
