"""The compose stack's files agree with what the code generates and expects.

``docker/mosquitto*.conf`` are exactly what ``gridwatch broker init --docker`` writes, so the
shipped broker is the tested one; the service configs load, and compose mounts the password
files under the names ``broker init`` gives them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gridwatch.cli import main as gridwatch
from gridwatch.mosquitto import ManagedMosquitto
from gridwatch_central.broker_accounts import broker_packet_limit
from gridwatch_central.config import load_central_config
from gridwatch_edge.config import load_edge_config
from tests.conftest import REPO_ROOT

DOCKER = REPO_ROOT / "docker"
TLS_FILES = [
    *("--tls-cert", "/mosquitto/security/tls/server.crt"),
    *("--tls-key", "/mosquitto/security/tls/server.key"),
]


@pytest.mark.parametrize(
    ("shipped", "options"), [("mosquitto.conf", []), ("mosquitto.tls.conf", TLS_FILES)]
)
def test_shipped_broker_configs_are_what_broker_init_writes(
    shipped: str, options: list[str], tmp_path: Path
) -> None:
    assert gridwatch(["broker", "init", "--out", str(tmp_path), "--docker", *options]) == 0
    generated = (tmp_path / "mosquitto.conf").read_text(encoding="utf-8")
    assert (DOCKER / shipped).read_text(encoding="utf-8") == generated


def _settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(" ")
            settings.setdefault(key, []).append(value)
    return settings


def test_every_broker_we_ship_refuses_anonymous_clients_and_oversized_packets() -> None:
    shipped = [DOCKER / "mosquitto.conf", DOCKER / "mosquitto.tls.conf"]
    for path in shipped:
        settings = _settings(path.read_text(encoding="utf-8"))
        assert settings["allow_anonymous"] == ["false"], path
        assert settings["max_packet_size"] == [str(broker_packet_limit())], path
        assert settings["plugin"] == ["/usr/lib/mosquitto_dynamic_security.so"], path


def test_private_brokers_set_the_same_packet_limit() -> None:
    for broker in (ManagedMosquitto(), ManagedMosquitto(secure=True)):
        with broker:
            run_conf = (broker.log_path.parent / "run.conf").read_text(encoding="utf-8")
        assert _settings(run_conf)["max_packet_size"] == [str(broker_packet_limit())]


def test_services_log_in_with_the_accounts_compose_mounts() -> None:
    central = load_central_config(DOCKER / "central.yaml")
    edge = load_edge_config(DOCKER / "edge.yaml")
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    for name, config, username in (
        ("central", central.broker, "central"),
        ("edge", edge.broker, f"edge.{edge.edge_id}"),
    ):
        assert config.username == username
        mounts = {
            target: source
            for source, target, *_ in (volume.split(":") for volume in services[name]["volumes"])
        }
        assert mounts[str(config.password_file)] == f"./broker/secrets/{username}.password"
    assert re.search(r"--edge " + re.escape(edge.edge_id), (DOCKER / "compose.yaml").read_text())
