"""``gridwatch sensors simulate``: the registry it prints, imported, and its traces played into
a real broker and a real central."""

from __future__ import annotations

import json

import pytest

from gridwatch.cli import main as gridwatch
from gridwatch.sensor_traces import TRACES
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.sensors.importer import parse_import
from gridwatch_contract.broker import BrokerConfig
from tests.central.sensors.helpers import sensor_alerts


def test_simulate_plays_the_traces_it_prints_the_sensors_of(
    central_runtime: CentralRuntime, broker: BrokerConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    traces = ["--trace", "smoke_alarm", "--trace", "water_rising"]
    assert gridwatch(["sensors", "simulate", "--registry", "--gateway", "gw-sim", *traces]) == 0
    registry = capsys.readouterr().out
    parsed = parse_import(registry.encode(), "application/json")
    with central_runtime.sessions() as session:
        report = central_runtime.sensors.registry.import_rows(
            session, parsed, central_runtime.grid_store.index, dry_run=False
        )
    assert report.created == ["sim-smoke_alarm", "sim-water_rising"]
    url = f"mqtt://{broker.host}:{broker.port}"
    played = ["sensors", "simulate", "--broker", url, "--topic-prefix", broker.topic_prefix]
    assert gridwatch([*played, "--gateway", "gw-sim", *traces]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    steps = len(TRACES["smoke_alarm"].steps) + len(TRACES["water_rising"].steps)
    assert summary == {
        "batches": steps,
        "stored": steps,
        "duplicate": 0,
        "rejected": 0,
        "rejected_records": 0,
        "unanswered": 0,
    }
    for name in ("smoke_alarm", "water_rising"):
        states = tuple(alert.state for alert in sensor_alerts(central_runtime, f"sim-{name}"))
        assert states == TRACES[name].expected


def test_simulate_names_an_unknown_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert gridwatch(["sensors", "simulate", "--trace", "volcano"]) == 2
    assert "volcano" in capsys.readouterr().err
