"""Broker connection settings and the one way both sides build a paho client.

MQTT 5 everywhere: shared subscriptions (``$share/...``) for central, message expiry and
reason codes for diagnosis. paho's background network loop reconnects on its own with back-off.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from gridwatch_contract.topics import Topics

# Seconds between PINGREQs; a dead edge is declared offline (last will) after 1.5x this.
DEFAULT_KEEPALIVE_S = 30
# paho's reconnect back-off: quick first retry for a broker restart, capped so that an edge
# that lost its uplink for hours does not hammer the broker when it comes back.
RECONNECT_MIN_DELAY_S = 1
RECONNECT_MAX_DELAY_S = 30


class BrokerConfig(BaseModel):
    """Where the MQTT broker is and how to talk to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    topic_prefix: str = "gridwatch"
    keepalive_s: int = Field(default=DEFAULT_KEEPALIVE_S, ge=5, le=3600)

    @classmethod
    def from_url(cls, url: str, *, topic_prefix: str = "gridwatch") -> Self:
        """Parse ``mqtt://[user[:password]@]host[:port]``."""
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise ValueError(f"broker URL must look like mqtt://host:port, got {redact_url(url)!r}")
        password = SecretStr(unquote(parts.password)) if parts.password else None
        return cls(
            host=parts.hostname,
            port=parts.port or 1883,
            username=unquote(parts.username) if parts.username else None,
            password=password,
            topic_prefix=topic_prefix,
        )

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    def client_id(self, *parts: str) -> str:
        """A client id unique per deployment: two prefixes on one broker never collide, and a
        second connection with the same id (which the broker would use to kick the first)
        means the same process restarted."""
        return "-".join([self.topic_prefix.replace("/", "_"), *parts])

    def display(self) -> str:
        """Printable address, never with credentials."""
        return f"mqtt://{self.host}:{self.port}"


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
    """A paho MQTT 5 client with credentials and reconnect back-off set; not yet connected."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    if config.username is not None:
        password = config.password.get_secret_value() if config.password else None
        client.username_pw_set(config.username, password)
    client.reconnect_delay_set(RECONNECT_MIN_DELAY_S, RECONNECT_MAX_DELAY_S)
    return client
