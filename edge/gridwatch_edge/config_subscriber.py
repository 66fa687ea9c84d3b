"""Cameras replaced at run time from the retained per-edge config topic.

A second MQTT client (the publisher's client belongs to the outbox; keeping them apart means
neither can block the other) subscribes to ``Topics.edge_config(edge_id)``. Each message is an
``EdgeConfigMessage``; a revision higher than the one applied is validated camera by camera
and handed to ``replace_cameras``. A bad document changes nothing: the error, naming the key
and the problem, is logged and kept in ``last_error``.

A remote document may name network cameras only (rtsp://, rtsps://) unless the box's own YAML
sets ``allow_file_sources_from_central``: whoever can publish on the config topic must not be
able to make the box read its local files. The broker's ACL lets only central publish there.
Camera addresses must pass the box's ``camera_url_policy`` (checked here on the URL as
written, and again on the resolved address before each connection).

After every document the outcome goes back to central on the status topic (``ConfigReport``
through ``on_report``): the revision applied, or the revision refused with the reason and,
per camera, what is wrong with it. A refused document changes nothing that runs.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.camera.url_policy import UrlPolicy, UrlPolicyError, check_camera_url
from gridwatch_contract.codec import ContractError, decode_message
from gridwatch_contract.messages import (
    MAX_JSON_INT,
    MAX_REASON_LENGTH,
    CameraConfigProblem,
    ConfigReport,
    EdgeConfigMessage,
)
from gridwatch_contract.topics import validate_id
from gridwatch_contract.yaml_config import describe_validation_error
from gridwatch_edge.config import CameraConfig, ConfigError, parse_camera_configs
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.sources.url import is_network_source

# The contract carries at most this many camera problems per report (one per camera of a
# config, whose camera list is bounded the same way).
MAX_REPORTED_CAMERAS = 256

logger = logging.getLogger(__name__)

# The retained config must reach the edge even if it was published while the edge was away.
CONFIG_QOS = 1


class CameraReplacer(Protocol):
    def replace_cameras(self, cameras: Sequence[CameraConfig], *, remote: bool = False) -> None: ...


class _RefusedError(EdgeError):
    def __init__(self, reason: str, problems: list[CameraConfigProblem]) -> None:
        super().__init__(reason)
        self.problems = problems


class ConfigSubscriber:
    def __init__(
        self,
        broker: BrokerConfig,
        edge_id: str,
        runtime: CameraReplacer,
        *,
        allow_file_sources: bool = False,
        url_policy: UrlPolicy | None = None,
        on_report: Callable[[ConfigReport], None] | None = None,
    ) -> None:
        self._url_policy = url_policy or UrlPolicy()
        self._on_report = on_report
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
        self.report = ConfigReport()

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
            source = f"revision {message.revision}"
            cameras = self._validate(message.cameras, source)
            self._runtime.replace_cameras(cameras, remote=True)
        except _RefusedError as error:
            self._reject(str(error), message.revision, error.problems)
            return
        except (ContractError, EdgeError, ValueError) as error:
            revision = _revision_of(payload)
            self._reject(str(error), revision, [])
            return
        with self._applied:
            self.revision = message.revision
            self.last_error = None
            self._applied.notify_all()
        self._send_report(ConfigReport(applied_revision=message.revision))
        logger.info("applied config revision %d (%d cameras)", message.revision, len(cameras))
        if not cameras:
            logger.warning(
                "config revision %d has no cameras: waiting for the next", message.revision
            )

    def _validate(self, documents: list[dict[str, Any]], source: str) -> list[CameraConfig]:
        """Every camera checked on its own, so that the report names each bad one."""
        problems: list[CameraConfigProblem] = []
        for index, document in enumerate(documents):
            name = _camera_name(document, index)
            try:
                self._check_source(CameraConfig.model_validate(document))
            except ValidationError as error:
                reason = "; ".join(describe_validation_error(error))
                problems.append(CameraConfigProblem(camera=name, reason=_clip(reason)))
            except (EdgeError, ValueError) as error:
                problems.append(CameraConfigProblem(camera=name, reason=_clip(str(error))))
        if problems:
            details = "; ".join(f"camera {p.camera}: {p.reason}" for p in problems)
            raise _RefusedError(
                f"{source} refused, the cameras running stay as they were: {details}", problems
            )
        return parse_camera_configs(documents, source=source)  # across cameras: unique ids

    def _check_source(self, camera: CameraConfig) -> None:
        if not is_network_source(camera.url):
            if self._allow_file_sources:
                return
            raise ConfigError(
                "url: a config from central may name network cameras only (rtsp://, rtsps://);"
                " this box's allow_file_sources_from_central is off"
            )
        for key, url in (("url", camera.url), ("record_url", camera.record_url)):
            if url is None:
                continue
            try:
                check_camera_url(url, self._url_policy)
            except UrlPolicyError as error:
                raise ConfigError(f"{key}: {error}") from None

    def _reject(
        self, reason: str, revision: int | None, problems: list[CameraConfigProblem]
    ) -> None:
        logger.error("rejected edge config: %s", reason)
        for problem in problems:
            logger.error("  camera %s: %s", problem.camera, problem.reason)
        with self._applied:
            self.last_error = reason
            self.rejected += 1
            self._applied.notify_all()
        self._send_report(
            ConfigReport(
                applied_revision=self.revision,
                rejected_revision=revision,
                error=_clip(reason),
                cameras=problems[:MAX_REPORTED_CAMERAS],
            )
        )

    def _send_report(self, report: ConfigReport) -> None:
        self.report = report
        if self._on_report is not None:
            try:
                self._on_report(report)
            except Exception:  # reporting must never undo or block applying
                logger.exception("reporting the config outcome failed")

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


def _camera_name(document: object, index: int) -> str:
    """The camera's id as central sent it, or #index when it has none usable."""
    if isinstance(document, dict):
        camera_id = document.get("id")
        if isinstance(camera_id, str):
            try:
                return validate_id(camera_id, "camera id")
            except ValueError:
                pass
    return f"#{index}"


def _revision_of(payload: bytes) -> int | None:
    """The revision of a document refused as a whole, if it can be read at all."""
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    revision = document.get("revision") if isinstance(document, dict) else None
    return revision if isinstance(revision, int) and 0 <= revision <= MAX_JSON_INT else None


def _clip(text: str) -> str:
    """One line of at most MAX_REASON_LENGTH characters (what the contract carries)."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_REASON_LENGTH else line[: MAX_REASON_LENGTH - 1] + "…"
