from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import make_config


@pytest.fixture
def runtime(database_url: str, broker: BrokerConfig, tmp_path: Path) -> Iterator[CentralRuntime]:
    """A started central on a fresh database (SQLite and PostgreSQL) and the real broker."""
    central = CentralRuntime(make_config(database_url, broker, tmp_path))
    central.start()
    try:
        yield central
    finally:
        central.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def loop_runtime(
    database_url: str, broker: BrokerConfig, tmp_path: Path, clock: ManualClock
) -> Iterator[CentralRuntime]:
    """A started central on the test's clock; the test ticks the deadline scheduler itself."""
    central = CentralRuntime(
        make_config(database_url, broker, tmp_path), clock=clock, run_scheduler=False
    )
    central.start()
    try:
        yield central
    finally:
        central.stop()
