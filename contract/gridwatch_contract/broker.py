"""Broker connection settings and the one way both sides build a paho client.

MQTT 5 everywhere: shared subscriptions (``$share/...``) for central, message expiry and
reason codes for diagnosis. paho's background network loop reconnects on its own with back-off.

Credentials: a broker account (``username``) with its password given inline, in a file
(``password_file``, e.g. a container secret) or in an environment variable (``password_env``);
the password is read when a client is built and never appears in a log, a repr or an error.
TLS (``tls``, or an ``mqtts://`` URL) verifies the broker against a CA file or the system's
trust store, optionally presenting a client certificate.
"""

from __future__ import annotations

import os
import secrets
import socket
import ssl
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from gridwatch_contract.topics import Topics

# Seconds between PINGREQs; a dead edge is declared offline (last will) after 1.5x this.
DEFAULT_KEEPALIVE_S = 30
# paho's reconnect back-off: quick first retry for a broker restart, capped so that an edge
# that lost its uplink for hours does not hammer the broker when it comes back.
RECONNECT_MIN_DELAY_S = 1
RECONNECT_MAX_DELAY_S = 30
DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883
# What a PUBLISH packet adds around its payload: fixed header, topic (prefix + three ids of at
# most 64 characters), packet id and properties. 2 KiB is more than any of our topics needs.
MQTT_PACKET_OVERHEAD_BYTES = 2 * 1024
# Random hex characters appended to every client id (48 bits): nobody can guess the id of a
# running client, so nobody can take its connection or its session over by reusing it.
CLIENT_ID_NONCE_BYTES = 6


class BrokerConfigError(ValueError):
    """Credentials or TLS files named by a ``BrokerConfig`` cannot be used; says which."""


class BrokerTls(BaseModel):
    """TLS towards the broker. The broker's certificate is always verified (host name too)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # None: the system's trust store (a broker with a publicly signed certificate).
    ca_file: Path | None = None
    # A client certificate, for brokers that require one (Mosquitto require_certificate).
    cert_file: Path | None = None
    # None with a cert_file: the key is in the certificate file.
    key_file: Path | None = None

    @model_validator(mode="after")
    def _key_needs_certificate(self) -> Self:
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("tls.key_file needs tls.cert_file")
        return self

    def context(self) -> ssl.SSLContext:
        """A client context verifying the broker; ``BrokerConfigError`` if a file is unusable."""
        try:
            context = ssl.create_default_context(
                cafile=str(self.ca_file) if self.ca_file is not None else None
            )
            if self.cert_file is not None:
                context.load_cert_chain(
                    str(self.cert_file), str(self.key_file) if self.key_file else None
                )
        except (OSError, ssl.SSLError) as error:
            raise BrokerConfigError(f"broker TLS files unusable: {error}") from None
        return context


class BrokerConfig(BaseModel):
    """Where the MQTT broker is and how to talk to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    # The password as the only content of a file (one trailing newline is ignored).
    password_file: Path | None = None
    # The name of an environment variable holding the password.
    password_env: str | None = Field(default=None, min_length=1)
    tls: BrokerTls | None = None
    topic_prefix: str = "gridwatch"
    keepalive_s: int = Field(default=DEFAULT_KEEPALIVE_S, ge=5, le=3600)

    @model_validator(mode="after")
    def _one_password_source(self) -> Self:
        sources = [
            name
            for name, value in (
                ("password", self.password),
                ("password_file", self.password_file),
                ("password_env", self.password_env),
            )
            if value is not None
        ]
        if len(sources) > 1:
            raise ValueError(f"give the broker password one way only, not {' and '.join(sources)}")
        if sources and self.username is None:
            raise ValueError(f"{sources[0]} needs a username")
        return self

    @classmethod
    def from_url(
        cls, url: str, *, topic_prefix: str = "gridwatch", ca_file: Path | None = None
    ) -> Self:
        """Parse ``mqtt://[user[:password]@]host[:port]`` or ``mqtts://...`` (TLS, verified
        against ``ca_file`` or the system's trust store)."""
        parts = urlsplit(url)
        if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
            raise ValueError(
                f"broker URL must look like mqtt://host:port or mqtts://host:port,"
                f" got {redact_url(url)!r}"
            )
        tls = BrokerTls(ca_file=ca_file) if parts.scheme == "mqtts" else None
        password = SecretStr(unquote(parts.password)) if parts.password else None
        return cls(
            host=parts.hostname,
            port=parts.port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT),
            username=unquote(parts.username) if parts.username else None,
            password=password,
            tls=tls,
            topic_prefix=topic_prefix,
        )

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    def client_id(self, *parts: str) -> str:
        """A client id unique per process: the deployment, the role, then a random nonce.

        The readable part says who it is in the broker's log; the nonce makes it unguessable.
        The broker disconnects a client when another connects with the same id (and hands
        the newcomer its persistent session), so a predictable id would let anyone with any
        account kick this client off or read the messages queued for it.
        """
        nonce = secrets.token_hex(CLIENT_ID_NONCE_BYTES)
        return "-".join([self.topic_prefix.replace("/", "_"), *parts, nonce])

    def resolved_password(self) -> str | None:
        """The password from wherever it is configured; ``BrokerConfigError`` if missing."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if not value:
                raise BrokerConfigError(
                    f"broker password: environment variable {self.password_env} is not set"
                )
            return value
        if self.password_file is not None:
            try:
                text = self.password_file.read_text(encoding="utf-8")
            except OSError as error:
                raise BrokerConfigError(
                    f"broker password file {self.password_file}: {error.strerror}"
                ) from None
            value = text.removesuffix("\n").removesuffix("\r")
            if not value:
                raise BrokerConfigError(f"broker password file {self.password_file} is empty")
            return value
        return None

    def display(self) -> str:
        """Printable address, never with credentials."""
        scheme = "mqtts" if self.tls is not None else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"


def redact_url(url: str) -> str:
    """The URL with any user-info replaced, safe for logs and error messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"***@{host}").geturl()


def make_client(
    config: BrokerConfig,
    client_id: str,
    *,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A paho MQTT 5 client with credentials, TLS and reconnect back-off set; not yet
    connected. ``BrokerConfigError`` if the password or a TLS file cannot be read."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    if config.username is not None:
        client.username_pw_set(config.username, config.resolved_password())
    if config.tls is not None:
        client.tls_set_context(config.tls.context())
    client.reconnect_delay_set(RECONNECT_MIN_DELAY_S, RECONNECT_MAX_DELAY_S)
    client.on_socket_open = _send_without_delay
    return client


def _send_without_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """Switch Nagle's algorithm off: paho writes each packet whole, so coalescing gains nothing,
    and Nagle holds a packet's last segment until the peer acks the previous one, which the
    peer delays by up to 40 ms. Each hop of a request/response waited that long; with the
    broker's ``set_tcp_nodelay true`` as well, a 150 KB snapshot's round trip on loopback went
    from ~90 ms to under 1 ms (``benchmarks/edge_snapshot_request.py``, ``tcp_nodelay``)."""
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
