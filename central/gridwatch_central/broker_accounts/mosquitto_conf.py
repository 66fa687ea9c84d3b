"""The broker's own configuration file, as ``gridwatch broker init`` writes it.

One renderer for every shipped broker (``docker/mosquitto*.conf``, the demo's private broker,
what an operator generates), so the security settings and the packet limit cannot drift apart.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from gridwatch_contract.broker import DEFAULT_PORT, DEFAULT_TLS_PORT, MQTT_PACKET_OVERHEAD_BYTES
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES

PLUGIN_NAME = "mosquitto_dynamic_security.so"
# Where Debian/Ubuntu (multiarch), the eclipse-mosquitto image and source builds put it.
PLUGIN_SEARCH = ("/usr/lib/*/", "/usr/lib/", "/usr/local/lib/", "/opt/homebrew/lib/")
# The eclipse-mosquitto image's copy: the default when the plugin is not on this machine
# (broker files generated here for a broker container).
CONTAINER_PLUGIN = Path("/usr/lib") / PLUGIN_NAME
DYNSEC_FILE = "dynsec.json"


def broker_packet_limit(max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> int:
    """The broker's ``max_packet_size``: central's largest accepted alert plus the packet's
    topic and headers."""
    return max_payload_bytes + MQTT_PACKET_OVERHEAD_BYTES


def find_dynsec_plugin() -> Path:
    for directory in PLUGIN_SEARCH:
        found = sorted(glob.glob(f"{directory}{PLUGIN_NAME}"))
        if found:
            return Path(found[0])
    return CONTAINER_PLUGIN


@dataclass(frozen=True, slots=True)
class TlsListener:
    cert_file: Path
    key_file: Path
    port: int = DEFAULT_TLS_PORT
    bind: str = "0.0.0.0"
    # Set: clients must also present a certificate signed by this CA.
    client_ca_file: Path | None = None


@dataclass(frozen=True, slots=True)
class BrokerLayout:
    """Paths as the broker sees them (inside its container, say), and its listeners."""

    security_dir: Path
    plugin: Path
    data_dir: Path | None
    bind: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    tls: TlsListener | None = None
    max_packet_bytes: int = broker_packet_limit()


def render_mosquitto_conf(layout: BrokerLayout) -> str:
    lines = [
        "# gridwatch broker, written by `gridwatch broker init` (see docs/broker-security.md).",
        "# Every client logs in with its own account; its role in the dynamic security plugin",
        "# decides what it may publish and subscribe to: an edge only its own topics, only",
        "# central acks alerts and sends configs. Accounts change at run time, no restart.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"plugin {layout.plugin}",
        f"plugin_opt_config_file {layout.security_dir / DYNSEC_FILE}",
        "",
        "# Largest MQTT packet accepted: central's max_payload_bytes plus 2 KiB of topic and",
        "# headers. A bigger message could never be stored; refusing it here (the sender is",
        "# disconnected) keeps it from costing the broker and every subscriber its memory.",
        "# Raise it together with central's max_payload_bytes.",
        f"max_packet_size {layout.max_packet_bytes}",
        "",
        "# Send each packet at once (Nagle off, as gridwatch's clients do): otherwise every hop",
        "# of an answer to a request waits up to 40 ms for a delayed ACK",
        "# (benchmarks/edge_snapshot_request.py).",
        "set_tcp_nodelay true",
        "",
    ]
    if layout.data_dir is not None:
        lines += ["persistence true", f"persistence_location {layout.data_dir}/"]
    else:
        lines += ["persistence false"]
    lines += ["log_dest stdout", "", f"listener {layout.port} {layout.bind}"]
    if layout.tls is not None:
        lines += _tls_listener(layout.tls)
    return "\n".join(lines) + "\n"


def _tls_listener(tls: TlsListener) -> list[str]:
    lines = [
        "",
        "# TLS: edges on other networks connect here (mqtts://); passwords never cross a",
        "# network in clear.",
        f"listener {tls.port} {tls.bind}",
        f"certfile {tls.cert_file}",
        f"keyfile {tls.key_file}",
    ]
    if tls.client_ca_file is not None:
        lines += [
            "# Clients must present a certificate signed by this CA as well as a password.",
            f"cafile {tls.client_ca_file}",
            "require_certificate true",
        ]
    return lines
