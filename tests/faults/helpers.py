"""What the fault tests share: poison payloads, and reading a runtime's receipts and health."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient as HttpClient

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import decode_message, encode_message
from gridwatch_contract.messages import AlertAck, AlertMessage, AlertReceipt
from tests.central.helpers import TestClient, make_alert


def receipts(edge: TestClient, topic: str | None = None) -> list[AlertReceipt]:
    """Every receipt the edge received (on ``topic`` only, if given), in order."""
    return [
        receipt
        for received_on, payload in list(edge.received)
        if topic is None or received_on == topic
        for receipt in decode_message(AlertAck, payload).receipts
    ]


def json_alert(alert: AlertMessage, **changes: Any) -> bytes:
    """``alert`` as plain JSON with fields replaced by values the contract refuses."""
    document: dict[str, Any] = json.loads(encode_message(alert))
    document.update(changes)
    return json.dumps(document).encode()


def nested_alert(alert: AlertMessage, depth: int) -> bytes:
    """``alert`` with a field nested ``depth`` levels deep (Python's parser gives up at ~1000)."""
    return encode_message(alert)[:-1] + b',"nested":' + b"[" * depth + b"]" * depth + b"}"


def _infinite_box(alert: AlertMessage) -> bytes:
    document: dict[str, Any] = json.loads(encode_message(alert))
    document["objects"][0]["box"]["x2"] = math.inf
    return json.dumps(document).encode()  # Python writes it as the non-JSON token Infinity


# One builder per class of values that used to pass the contract and stall ingest.
_POISON: dict[str, Callable[[AlertMessage], bytes]] = {
    "deep_json": lambda alert: nested_alert(alert, 50_000),
    "int_beyond_column": lambda alert: json_alert(alert, sequence=2**40, state="update"),
    "nul_in_string": lambda alert: json_alert(alert, model={"name": "yolo\0", "version": "1"}),
    "nan": lambda alert: json_alert(alert, measurements={"person_count": math.nan}),
    "infinity": _infinite_box,
    "edge_of_time": lambda alert: json_alert(alert, started_at="0001-01-01T00:00:00+14:00"),
}


def poison_values() -> list[tuple[str, AlertMessage, bytes]]:
    """(class, its alert, payload) of one message per class, each with an alert of its own."""
    return [(name, alert := make_alert(), build(alert)) for name, build in _POISON.items()]


def health(runtime: CentralRuntime, path: str) -> tuple[int, dict[str, Any]]:
    response = HttpClient(runtime.app).get(path)
    body: dict[str, Any] = response.json()
    return response.status_code, body
