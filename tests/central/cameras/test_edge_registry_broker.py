"""Registering an edge on a central that holds the broker's admin account: the edge's account
and ACL role are created on the real (dynamic-security) Mosquitto at once, and with the
credentials returned the box receives its config and nothing else; unregistering removes the
account and clears the retained config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from gridwatch.mosquitto import ManagedMosquitto
from gridwatch_central.config import CentralConfig
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import decode_message
from gridwatch_contract.messages import EdgeConfigMessage
from tests.central.api.clients import admin_client
from tests.central.helpers import make_config, wait_until
from tests.edge.mqtt_helpers import Subscriber

EDGE_ID = "edge-registry-01"


@pytest.fixture
def secure_broker() -> Iterator[ManagedMosquitto]:
    with ManagedMosquitto(secure=True) as mosquitto:
        yield mosquitto


def _central(mosquitto: ManagedMosquitto, sqlite_url: str, tmp_path: Path) -> CentralConfig:
    accounts = mosquitto.accounts
    config = make_config(sqlite_url, mosquitto.config_for(accounts.central), tmp_path)
    onboarding = config.onboarding.model_copy(
        update={"broker_admin": mosquitto.config_for(accounts.admin)}
    )
    return config.model_copy(update={"onboarding": onboarding})


def test_registering_creates_the_edges_account_and_it_gets_its_config(
    secure_broker: ManagedMosquitto, sqlite_url: str, tmp_path: Path
) -> None:
    central = CentralRuntime(_central(secure_broker, sqlite_url, tmp_path))
    central.start()
    try:
        client = admin_client(central)
        answer = client.post("/api/v1/edges", json={"id": EDGE_ID, "name": "机箱"})
        assert answer.status_code == 201, answer.text
        broker = answer.json()["broker"]
        assert broker["account_created"] is True
        assert broker["username"] in answer.json()["bootstrap_yaml"]
        assert broker["password"] not in answer.json()["bootstrap_yaml"]
        edge = secure_broker.config.model_copy(
            update={"username": broker["username"], "password": SecretStr(broker["password"])}
        )
        inbox = Subscriber(edge, edge.topics.edge_config(EDGE_ID))
        try:
            wait_until(lambda: bool(inbox.messages), timeout_s=10)
            config = decode_message(EdgeConfigMessage, bytes(inbox.messages[0].payload))
            assert (config.edge_id, config.revision, config.cameras) == (EDGE_ID, 1, [])
        finally:
            inbox.close()

        assert client.delete(f"/api/v1/edges/{EDGE_ID}").status_code == 204
        assert _refused(edge)  # the account is gone
    finally:
        central.stop()


def _refused(broker: BrokerConfig) -> bool:
    """Whether the broker refuses these credentials (CONNACK with a failure reason)."""
    outcome: list[bool] = []
    client = make_client(broker, broker.client_id("test", "refused"))
    client.on_connect = lambda _c, _u, _f, reason, _p: outcome.append(reason.is_failure)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        wait_until(lambda: bool(outcome), timeout_s=10)
    finally:
        client.loop_stop()
        client.disconnect()
    return outcome[0]
