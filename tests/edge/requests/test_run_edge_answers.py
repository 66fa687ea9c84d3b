"""``run_edge``, the composition root of ``gridwatch edge run``, answers central's snapshot
requests while its cameras run."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from gridwatch_central.edge_requests import SnapshotOk
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.runtime import run_edge
from tests.central.helpers import wait_until
from tests.edge.requests.live_edge import clip_camera, decoded, request_client


def test_a_running_edge_answers_snapshot_requests(
    broker: BrokerConfig,
    *,
    vtest_clip: Path,
    models_dir: Path,
    manifest_dirs: list[Path],
    tmp_path: Path,
) -> None:
    edge_id = f"edge-{uuid.uuid4().hex[:8]}"
    config = parse_edge_config(
        {
            "edge_id": edge_id,
            "broker": broker.model_dump(mode="json"),
            "cameras": [clip_camera("gate", vtest_clip)],
            "outbox": {"path": str(tmp_path / "outbox.db")},
        }
    )
    stop = threading.Event()
    edge = threading.Thread(
        target=run_edge,
        args=(config,),
        kwargs={"models_dir": models_dir, "manifest_dirs": manifest_dirs, "stop": stop},
    )
    edge.start()
    try:
        with request_client(broker) as client:
            answers: list[SnapshotOk] = []

            def answered() -> bool:  # until the edge is up and the camera has a frame
                result = client.request_snapshot(edge_id, "gate", 2.0)
                if isinstance(result, SnapshotOk):
                    answers.append(result)
                return bool(answers)

            wait_until(answered, 90)
    finally:
        stop.set()
        edge.join(60)
    assert not edge.is_alive()
    assert decoded(answers[0].jpeg).shape == (576, 768, 3)
