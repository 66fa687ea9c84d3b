"""The private broker: secured like a shipped one for the demo (accounts, roles, no
anonymous), and it leaves no folder behind (normal end, error, failed start)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gridwatch.mosquitto import BrokerUnavailableError, ManagedMosquitto, wait_for_port
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


class _BoomError(RuntimeError):
    pass


def test_the_broker_folder_lives_from_start_to_the_end_of_the_with_block() -> None:
    broker = ManagedMosquitto()
    assert broker.workdir is None, "nothing is created before start()"
    with broker:
        folder = broker.workdir
        assert folder is not None
        assert (folder / "run.conf").is_file()
        broker.kill()
        broker.start()  # a restart keeps the folder (tests kill and restart brokers)
        assert broker.workdir == folder
        assert wait_for_port("127.0.0.1", broker.config.port, 5)
    assert not folder.exists()
    assert broker.workdir is None


def test_an_error_inside_the_with_block_still_removes_the_folder() -> None:
    broker = ManagedMosquitto()
    folders: list[Path | None] = []

    def fail_inside() -> None:
        with broker:
            folders.append(broker.workdir)
            raise _BoomError

    with pytest.raises(_BoomError):
        fail_inside()
    [folder] = folders
    assert folder is not None
    assert not folder.exists()


def test_a_broker_that_cannot_bind_fails_at_once_quoting_its_log_and_leaves_nothing() -> None:
    # A socket bound but not listening: mosquitto's bind fails, yet nothing accepts connections.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        broker = ManagedMosquitto(port=port)
        with pytest.raises(BrokerUnavailableError, match=r"its log ends:\n") as raised:
            broker.start()
    assert "Address already in use" in str(raised.value)
    assert broker.workdir is None
