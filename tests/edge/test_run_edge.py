"""run_edge, the composition root of ``gridwatch edge run``, end to end on the real broker with
the real central service acknowledging every alert."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from sqlalchemy import select

from gridwatch_central.db.tables import AlertRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract import EdgeAvailability, EdgeStatusMessage
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import decode_message
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.outbox import OutboxLimits, OutboxStore
from gridwatch_edge.runtime import run_edge
from tests.central.helpers import make_config, wait_until
from tests.conftest import REPO_ROOT
from tests.edge.mqtt_helpers import Subscriber


def test_replays_the_clip_and_central_acknowledges_every_alert(
    broker: BrokerConfig,
    *,
    vtest_clip: Path,
    models_dir: Path,
    manifest_dirs: list[Path],
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    document: dict[str, Any] = yaml.safe_load(
        (REPO_ROOT / "configs" / "edge.example.yaml").read_text(encoding="utf-8")
    )
    document["broker"] = broker.model_dump(mode="json")
    # Unique: the MQTT client id derives from it, and other test runs share the broker.
    document["edge_id"] = f"edge-{uuid.uuid4().hex[:8]}"
    document["cameras"][0].update(url=str(vtest_clip), realtime=False)
    document["outbox"] = {"path": str(tmp_path / "outbox.db")}
    config = parse_edge_config(document)
    central = CentralRuntime(make_config(sqlite_url, broker, tmp_path))
    central.start()
    root = broker.topics.root
    subscriber = Subscriber(broker, f"{root}/#")
    try:
        code = run_edge(
            config, models_dir=models_dir, manifest_dirs=manifest_dirs, stop=threading.Event()
        )
        status_topic = broker.topics.edge_status(config.edge_id)
        wait_until(lambda: _statuses(subscriber.messages, status_topic)[-1:] == [OFFLINE])
        messages = list(subscriber.messages)
        subscriber.clear_retained(status_topic)
        with central.sessions() as session:
            stored = set(session.scalars(select(AlertRow.alert_id)))
    finally:
        subscriber.close()
        central.stop()
    assert code == 0
    outbox = OutboxStore(config.outbox.path, OutboxLimits(10, 10**6, 3600, 10**4))
    history = outbox.history()
    # 3 crowd events, each opened (updated) and ended: all of them stored, none left pending.
    assert len([row for row in history if row.state == "stored"]) >= 8
    assert {row.state for row in history} == {"stored"}
    assert {row.alert_id for row in history} == stored
    assert _statuses(messages, status_topic)[0] is EdgeAvailability.ONLINE
    assert any(m.topic == broker.topics.edge_stats(config.edge_id) for m in messages)


OFFLINE = EdgeAvailability.OFFLINE


def _statuses(messages: list[mqtt.MQTTMessage], topic: str) -> list[EdgeAvailability]:
    return [
        decode_message(EdgeStatusMessage, bytes(m.payload)).state
        for m in list(messages)
        if m.topic == topic
    ]
