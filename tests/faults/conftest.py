from __future__ import annotations

from collections.abc import Iterator

import pytest

from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import TestClient


@pytest.fixture
def edge(broker: BrokerConfig) -> Iterator[TestClient]:
    """A plain MQTT client playing an edge that publishes once and never resends."""
    client = TestClient(broker)
    try:
        yield client
    finally:
        client.close()
