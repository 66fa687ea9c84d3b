"""Cameras replaced at run time from the retained per-edge config topic.

A second MQTT client (the publisher's client belongs to the outbox; keeping them apart means
neither can block the other) subscribes to ``Topics.edge_config(edge_id)``. Each message is an
``EdgeConfigMessage``; a revision higher than the one applied is validated camera by camera
and handed to ``replace_cameras``. A bad document changes nothing: the error, naming the key
and the problem, is logged and kept in ``last_error``.

A remote document may name network cameras only (rtsp://, rtsps://) unless the box's own YAML
sets ``allow_file_sources_from_central``: whoever can publish on the config topic must not be
able to make the box read its local files. The broker's ACL lets only central publish there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import ContractError, decode_message
from gridwatch_contract.messages import EdgeConfigMessage
from gridwatch_edge.config import CameraConfig, ConfigError, parse_camera_configs
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.sources.url import is_network_source

logger = logging.getLogger(__name__)

# The retained config must reach the edge even if it was published while the edge was away.
CONFIG_QOS = 1


class CameraReplacer(Protocol):
    def replace_cameras(self, cameras: Sequence[CameraConfig]) -> None: ...


class ConfigSubscriber:
    def __init__(
        self,
        broker: BrokerConfig,
        edge_id: str,
        runtime: CameraReplacer,
        *,
        allow_file_sources: bool = False,
    ) -> None:
        self._broker = broker
        self._edge_id = edge_id
        self._allow_file_sources = allow_file_sources
        self._topic = broker.topics.edge_config(edge_id)
        self._runtime = runtime
        self._client = make_client(broker, client_id=broker.client_id("edge", edge_id, "config"))
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._started = False
        self._lock = threading.Lock()
        self._applied = threading.Condition(self._lock)
        self.revision: int | None = None
        self.last_error: str | None = None
        self.rejected = 0

    def start(self) -> None:
        self._client.connect_async(self._broker.host, self._broker.port, self._broker.keepalive_s)
        self._client.loop_start()
        self._started = True

    def close(self) -> None:
        if self._started:
            self._started = False
            self._client.disconnect()
            self._client.loop_stop()

    def wait_for(
        self, *, revision: int | None = None, rejected: int | None = None, timeout_s: float
    ) -> bool:
        """For tests and tools: wait until ``revision`` is applied or ``rejected`` documents
        were refused."""

        def reached() -> bool:
            if revision is not None and (self.revision is None or self.revision < revision):
                return False
            return rejected is None or self.rejected >= rejected

        with self._applied:
            return self._applied.wait_for(reached, timeout_s)

    def apply(self, payload: bytes) -> None:
        """Validate and apply one config message (what ``on_message`` does)."""
        try:
            message = decode_message(EdgeConfigMessage, payload)
            if message.edge_id != self._edge_id:
                raise EdgeError(
                    f"edge_id: config is for edge {message.edge_id!r}, this is {self._edge_id!r}"
                )
            if self.revision is not None and message.revision <= self.revision:
                logger.debug("config revision %d already applied", message.revision)
                return
            source = f"{self._topic} revision {message.revision}"
            cameras = parse_camera_configs(message.cameras, source=source)
            self._check_sources(cameras, source)
            self._runtime.replace_cameras(cameras)
        except (ContractError, EdgeError, ValueError) as error:
            self._reject(str(error))
            return
        with self._applied:
            self.revision = message.revision
            self.last_error = None
            self._applied.notify_all()
        logger.info("applied config revision %d (%d cameras)", message.revision, len(cameras))
        if not cameras:
            logger.warning(
                "config revision %d has no cameras: waiting for the next", message.revision
            )

    def _check_sources(self, cameras: Sequence[CameraConfig], source: str) -> None:
        if self._allow_file_sources:
            return
        for index, camera in enumerate(cameras):
            if not is_network_source(camera.url):
                raise ConfigError(
                    f"{source}: cameras.{index}.url: a config from central may name network"
                    " cameras only (rtsp://, rtsps://); this box's allow_file_sources_from_central"
                    " is off"
                )

    def _reject(self, reason: str) -> None:
        logger.error("rejected edge config: %s", reason)
        with self._applied:
            self.last_error = reason
            self.rejected += 1
            self._applied.notify_all()

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if not reason.is_failure:
            client.subscribe(self._topic, qos=CONFIG_QOS)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _properties: Any
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            logger.error(
                "broker %s refused the config topic %s: %s; cameras stay as configured",
                self._broker.display(),
                self._topic,
                reasons[0],
            )

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        if not message.payload:  # a cleared retained config: keep running what we have
            return
        try:
            self.apply(bytes(message.payload))
        except Exception:  # never let paho's network thread die on one bad document
            logger.exception("applying the edge config failed")
