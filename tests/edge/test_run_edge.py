"""run_edge, the composition root of ``gridwatch edge run``, end to end on the real broker."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml

from gridwatch_contract import AlertState, EdgeAvailability, EdgeStatusMessage, decode_alert
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import decode_message
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.runtime import run_edge
from tests.conftest import REPO_ROOT
from tests.edge.mqtt_helpers import Subscriber


def test_replays_the_clip_and_publishes_alerts(
    broker: BrokerConfig, vtest_clip: Path, models_dir: Path, manifest_dirs: list[Path]
) -> None:
    document: dict[str, Any] = yaml.safe_load(
        (REPO_ROOT / "configs" / "edge.example.yaml").read_text(encoding="utf-8")
    )
    document["broker"] = broker.model_dump(mode="json")
    document["cameras"][0].update(url=str(vtest_clip), realtime=False)
    config = parse_edge_config(document)
    root = broker.topics.root
    subscriber = Subscriber(broker, f"{root}/#")
    try:
        code = run_edge(
            config, models_dir=models_dir, manifest_dirs=manifest_dirs, stop=threading.Event()
        )
        messages = subscriber.wait_for(1, timeout_s=1)
        status_topic = broker.topics.edge_status(config.edge_id)
        subscriber.clear_retained(status_topic)
    finally:
        subscriber.close()
    assert code == 0
    alerts = [decode_alert(bytes(m.payload)) for m in messages if "/alerts/" in m.topic]
    assert len([a for a in alerts if a.state is AlertState.NEW]) == 4
    statuses = [
        decode_message(EdgeStatusMessage, bytes(m.payload)).state
        for m in messages
        if m.topic == status_topic
    ]
    assert statuses[0] is EdgeAvailability.ONLINE
    assert statuses[-1] is EdgeAvailability.OFFLINE
    assert any(m.topic == broker.topics.edge_stats(config.edge_id) for m in messages)
