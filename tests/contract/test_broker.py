from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gridwatch_contract.broker import (
    BrokerConfig,
    BrokerConfigError,
    BrokerTls,
    make_client,
    redact_url,
)


def test_broker_url_with_credentials_is_parsed_and_never_displayed() -> None:
    config = BrokerConfig.from_url("mqtt://edge%2D1:s3cr%40t@broker.lan:8883", topic_prefix="gw")
    assert (config.host, config.port, config.username) == ("broker.lan", 8883, "edge-1")
    assert config.password is not None
    assert config.password.get_secret_value() == "s3cr@t"
    assert "s3cr" not in config.display()
    assert "s3cr" not in repr(config)
    assert config.topics.prefix == "gw"


@pytest.mark.parametrize("url", ["http://host", "mqtt://", "host:1883", "ssl://host"])
def test_bad_broker_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="mqtt://host:port"):
        BrokerConfig.from_url(url)


def test_redact_url_hides_user_info() -> None:
    assert redact_url("rtsp://admin:12345@10.0.0.5:554/ch1") == "rtsp://***@10.0.0.5:554/ch1"
    assert redact_url("rtsp://10.0.0.5/ch1") == "rtsp://10.0.0.5/ch1"


def test_client_ids_name_the_deployment_and_differ_per_process() -> None:
    city = BrokerConfig(topic_prefix="city/a").client_id("edge", "box-1")
    again = BrokerConfig(topic_prefix="city/a").client_id("edge", "box-1")
    other = BrokerConfig(topic_prefix="city/b").client_id("edge", "box-1")
    assert city.startswith("city_a-edge-box-1-")
    assert other.startswith("city_b-edge-box-1-")
    # Unguessable: a second process (or anyone) never derives a running client's id.
    assert city != again
    assert len(city.removeprefix("city_a-edge-box-1-")) == 12


def test_password_comes_from_a_file_or_the_environment_and_never_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "broker.password"
    secret_file.write_text("from-file-secret\n", encoding="utf-8")
    from_file = BrokerConfig(username="edge.e1", password_file=secret_file)
    assert from_file.resolved_password() == "from-file-secret"
    monkeypatch.setenv("GW_TEST_BROKER_PASSWORD", "from-env-secret")
    from_env = BrokerConfig(username="edge.e1", password_env="GW_TEST_BROKER_PASSWORD")
    assert from_env.resolved_password() == "from-env-secret"
    for config in (from_file, from_env):
        assert "secret" not in repr(config)
        assert "secret" not in config.display()
    assert BrokerConfig().resolved_password() is None


def test_missing_password_sources_are_named_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GW_TEST_UNSET", raising=False)
    with pytest.raises(BrokerConfigError, match="GW_TEST_UNSET is not set"):
        BrokerConfig(username="u", password_env="GW_TEST_UNSET").resolved_password()
    missing = tmp_path / "absent.password"
    with pytest.raises(BrokerConfigError, match=str(missing)):
        make_client(BrokerConfig(username="u", password_file=missing), "test-client")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"username": "u", "password": "p", "password_env": "X"}, "one way only"),
        ({"password_file": "/run/secret"}, "password_file needs a username"),
        ({"tls": {"key_file": "/k.pem"}}, "key_file needs tls.cert_file"),
    ],
)
def test_contradictory_broker_settings_are_refused(document: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        BrokerConfig.model_validate(document)


def test_mqtts_urls_turn_tls_on_with_the_default_port(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    config = BrokerConfig.from_url("mqtts://broker.lan", ca_file=ca)
    assert config.tls is not None
    assert config.tls.ca_file == ca
    assert config.port == 8883
    assert config.display() == "mqtts://broker.lan:8883"
    assert BrokerConfig.from_url("mqtt://broker.lan").tls is None


def test_unreadable_tls_files_are_a_clear_error(tmp_path: Path) -> None:
    config = BrokerConfig(tls=BrokerTls(ca_file=tmp_path / "missing-ca.crt"))
    with pytest.raises(BrokerConfigError, match="broker TLS files unusable"):
        make_client(config, "test-client")


def test_clients_send_without_nagle_delay(broker: BrokerConfig) -> None:
    """Nagle's algorithm off on the client's socket: no 40 ms delayed-ACK stall per hop."""
    client = make_client(broker, f"test-nodelay-{uuid.uuid4().hex[:8]}")
    client.connect(broker.host, broker.port)
    try:
        sock = client.socket()
        assert isinstance(sock, socket.socket)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        client.disconnect()
