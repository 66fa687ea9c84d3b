"""The demo's private broker is secured like a shipped one: accounts, roles, no anonymous."""

from __future__ import annotations

from gridwatch.mosquitto import ManagedMosquitto
from tests.mqtt_probe import BrokerClosedError, Probe

EDGE_ID = "demo-edge"


def test_the_demo_broker_lets_in_only_its_generated_accounts() -> None:
    with ManagedMosquitto(secure=True, edge_ids=[EDGE_ID]) as mosquitto:
        accounts = mosquitto.accounts
        topics = mosquitto.config.topics
        stranger = Probe(mosquitto.config, "anonymous")
        try:
            assert stranger.connect().is_failure
        except BrokerClosedError:
            pass
        finally:
            stranger.close()
        central = Probe(mosquitto.config_for(accounts.central), "central")
        edge = Probe(mosquitto.config_for(accounts.edges[EDGE_ID]), "edge")
        try:
            assert not central.connect().is_failure
            assert not edge.connect().is_failure
            assert not central.subscribe(topics.all_alerts()).is_failure
            assert not edge.publish(topics.alert(EDGE_ID, "cam", "crowd"), b"alert").is_failure
            assert edge.publish(topics.alert_acks(EDGE_ID), b"forged").is_failure
            assert [bytes(m.payload) for m in central.wait_for_messages(1)] == [b"alert"]
        finally:
            central.close()
            edge.close()
