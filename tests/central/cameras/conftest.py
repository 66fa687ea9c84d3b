from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import HUANGSHUI_GRID, make_config


@pytest.fixture
def huangshui(database_url: str, broker: BrokerConfig, tmp_path: Path) -> Iterator[CentralRuntime]:
    """A started central on the 5+13+50 grid, both databases, the real broker."""
    config = make_config(database_url, broker, tmp_path)
    central = CentralRuntime(config.model_copy(update={"grid_file": HUANGSHUI_GRID}))
    central.start()
    try:
        yield central
    finally:
        central.stop()
