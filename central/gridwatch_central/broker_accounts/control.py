"""Talking to Mosquitto's dynamic security plugin over MQTT, as its admin account.

The plugin takes ``{"commands": [...]}`` on ``$CONTROL/dynamic-security/v1`` and answers each
command on ``.../response``, echoing its ``correlationData``; an answer with an ``error`` says
the command was refused. Changes take effect at once (a disabled or deleted account is
disconnected) and the plugin saves them to its JSON file itself: no broker restart.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_central.broker_accounts.roles import CONTROL_TOPIC
from gridwatch_contract.broker import BrokerConfig, make_client

RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
# A loopback broker answers in milliseconds; 10 s covers a remote one over a slow uplink.
DEFAULT_TIMEOUT_S = 10.0
CONTROL_QOS = 1


class BrokerAccountError(RuntimeError):
    """The broker refused the admin connection or a command; the message says why."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    command: str
    error: str | None
    data: Mapping[str, Any] | None = None


class DynsecControl:
    """One admin connection; ``with`` connects and disconnects."""

    def __init__(self, admin: BrokerConfig, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._admin = admin
        self._timeout_s = timeout_s
        self._client = make_client(admin, admin.client_id("broker-admin"))
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._lock = threading.Condition()
        self._ready = False
        self._refused: str | None = None
        self._results: dict[str, CommandResult] = {}

    def open(self) -> None:
        try:
            self._client.connect(self._admin.host, self._admin.port, self._admin.keepalive_s)
        except OSError as error:
            raise BrokerAccountError(
                f"cannot reach the broker at {self._admin.display()}: {error}"
            ) from None
        self._client.loop_start()
        with self._lock:
            settled = self._lock.wait_for(
                lambda: self._ready or self._refused is not None, self._timeout_s
            )
        if self._refused is not None or not settled:
            self.close()
            reason = self._refused or f"no answer within {self._timeout_s:g} s"
            raise BrokerAccountError(
                f"broker {self._admin.display()} refused the admin account"
                f" {self._admin.username!r}: {reason}"
            )

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def execute(self, commands: Sequence[Mapping[str, object]]) -> list[CommandResult]:
        """Run ``commands`` in order; the result of each (``error`` None when it succeeded)."""
        ids = [uuid.uuid4().hex for _ in commands]
        batch = [
            {**command, "correlationData": id_} for command, id_ in zip(commands, ids, strict=True)
        ]
        self._client.publish(CONTROL_TOPIC, json.dumps({"commands": batch}), qos=CONTROL_QOS)
        with self._lock:
            answered = self._lock.wait_for(
                lambda: all(id_ in self._results for id_ in ids), self._timeout_s
            )
            if not answered:
                raise BrokerAccountError(
                    f"the broker at {self._admin.display()} did not answer within"
                    f" {self._timeout_s:g} s; is its dynamic security plugin loaded?"
                )
            return [self._results.pop(id_) for id_ in ids]

    def run(self, command: Mapping[str, object]) -> CommandResult:
        """One command; ``BrokerAccountError`` if the plugin refused it."""
        result = self.execute([command])[0]
        if result.error is not None:
            raise BrokerAccountError(f"{result.command}: {result.error}")
        return result

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            with self._lock:
                self._refused = str(reason)
                self._lock.notify_all()
            return
        client.subscribe(RESPONSE_TOPIC, qos=CONTROL_QOS)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, codes: list[ReasonCode], _p: Any
    ) -> None:
        with self._lock:
            if any(code.is_failure for code in codes):
                self._refused = f"may not subscribe to {RESPONSE_TOPIC} ({codes[0]})"
            else:
                self._ready = True
            self._lock.notify_all()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            responses = json.loads(message.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            return  # not an answer of the plugin's format; nothing waits for it
        with self._lock:
            for response in responses:
                correlation = response.get("correlationData")
                if isinstance(correlation, str):
                    self._results[correlation] = CommandResult(
                        str(response.get("command")), response.get("error"), response.get("data")
                    )
            self._lock.notify_all()
