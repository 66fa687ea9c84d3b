"""Sustained ingest: alerts/s stored exactly once, vs a bare MQTT subscriber on the same stream.

``python -m benchmarks.central [--seconds 60] [--rate 3000] [--workers 1] [--quick]``

A private Mosquitto (unbounded queue), a fresh PostgreSQL database and 1..N central processes
in one ``$share`` group. A publisher process sends realistic alerts, framed as the edge sends
them (~30 KB JPEG raw after the JSON header, each image unique; events of 1 ``new`` + 8
``update`` + 1 ``end``) with QoS 1 at ``--rate`` per second (0 = as fast as it can). A bare
paho subscriber process receives the same stream (``raw_per_s``). Latency is publish →
``AlertAck`` receipt, which central sends only after the commit, so it includes storing and one
more broker hop (pessimistic). ``lost`` and ``duplicated`` are counted in the database and in
the receipts.

Last line: one JSON object. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from gridwatch.mosquitto import ManagedMosquitto
from gridwatch_central.config import CentralConfig
from gridwatch_central.db.engine import make_engine
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.process import tune_garbage_collector
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import encode_alert
from gridwatch_contract.messages import (
    AlertMessage,
    AlertState,
    BoundingBox,
    DetectedObject,
    EventType,
    FrameSize,
    GeoPoint,
    ModelInfo,
    Snapshot,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
GRID_FILE = REPO_ROOT / "configs" / "grid" / "example-district.geojson"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# One event: new, 8 updates, end (an edge sends an update every few seconds while it lasts).
ALERTS_PER_EVENT = 10
# A 30 KB JPEG is what the edge sends for a 768x576 frame at quality ~70.
SNAPSHOT_TARGET_BYTES = 30_000
# The broker and the subscribers need a moment after the last publish; then give up.
DRAIN_TIMEOUT_S = 30.0
# Publisher pacing tick: 10 ms bursts keep the rate smooth without a busy loop.
TICK_S = 0.01


@dataclass(frozen=True, slots=True)
class Options:
    seconds: float
    rate: int
    workers: int
    batch_max: int
    postgres_url: str


# --- payloads ----------------------------------------------------------------------------------


def _snapshot_jpeg() -> bytes:
    """A real JPEG of about 30 KB (noise compresses poorly, like a busy street scene)."""
    rng = np.random.default_rng(7)
    side = 96
    while True:
        image = rng.integers(0, 255, (side, side * 4 // 3, 3), dtype=np.uint8)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 70])
        assert ok
        if len(encoded) >= SNAPSHOT_TARGET_BYTES:
            return bytes(encoded)
        side += 8


def _alert(index: int, event_id: uuid.UUID, jpeg: bytes, now: datetime) -> AlertMessage:
    sequence = index % ALERTS_PER_EVENT
    state = (
        AlertState.NEW
        if sequence == 0
        else AlertState.END
        if sequence == ALERTS_PER_EVENT - 1
        else AlertState.UPDATE
    )
    rng = random.Random(event_id.int)
    # Bytes after the JPEG end marker are ignored by decoders: each image is unique on disk.
    unique = jpeg + index.to_bytes(8, "big")
    return AlertMessage(
        alert_id=uuid.uuid4(),
        event_id=event_id,
        sequence=sequence,
        edge_id=f"edge-{event_id.int % 20:02d}",
        camera_id=f"cam-{event_id.int % 7:02d}",
        event_type=EventType.CROWD,
        rule_id="crowd-1",
        zone_id="plaza",
        state=state,
        started_at=now,
        updated_at=now,
        confidence=0.8,
        objects=[
            DetectedObject(
                class_name="person",
                class_id=0,
                score=0.8,
                box=BoundingBox(x1=10 * i, y1=10, x2=10 * i + 40, y2=90),
                track_id=i,
            )
            for i in range(6)
        ],
        measurements={"person_count": 6.0},
        frame=FrameSize(width=768, height=576),
        location=GeoPoint(lat=rng.uniform(30.2205, 30.2395), lon=rng.uniform(108.3805, 108.4195)),
        snapshot=Snapshot(data=unique, width=768, height=576),
        model=ModelInfo(name="yolox_nano", version="0.1.1"),
    )


# --- processes ---------------------------------------------------------------------------------


def _central_main(config_json: str, ready: MpEvent, stop: MpEvent) -> None:
    runtime = CentralRuntime(CentralConfig.model_validate_json(config_json))
    runtime.start()
    tune_garbage_collector()  # as ``serve`` does for a production process
    ready.set()
    stop.wait()
    runtime.stop()


def _raw_main(broker_json: str, ready: MpEvent, stop: MpEvent, results: Any) -> None:
    """A bare paho subscriber: counts the alert stream and nothing else."""
    broker = BrokerConfig.model_validate_json(broker_json)
    state = {"count": 0, "first": 0.0, "last": 0.0}
    subscribed = threading.Event()

    def on_message(_c: mqtt.Client, _u: Any, _m: mqtt.MQTTMessage) -> None:
        now = time.time()
        state["first"] = state["first"] or now
        state["last"] = now
        state["count"] += 1

    client = make_client(broker, f"bench-raw-{uuid.uuid4().hex[:8]}")
    client.on_message = on_message
    client.on_subscribe = lambda *_args: subscribed.set()
    client.connect(broker.host, broker.port)
    client.subscribe(broker.topics.all_alerts(), qos=1)
    client.loop_start()
    subscribed.wait(10)
    ready.set()
    stop.wait()
    client.disconnect()
    client.loop_stop()
    results.put(state)


class PayloadFactory:
    """Realistic alert payloads, framed as the edge sends them, at a few microseconds each.

    Encoding a 30 KB alert through pydantic costs the publisher more CPU than the rate allows
    on a shared 2-core machine, so one payload per position in an event (new, updates, end) is
    encoded once (``encode_alert``: JSON header, NUL, the raw JPEG), and each alert gets its
    own alert_id, event_id and the last 12 bytes of its JPEG (after the end marker, ignored by
    decoders): every image is unique on disk. Each template is cut at those three places once,
    so a payload is one join, not three searches and copies of 30 KB.
    """

    _MARKER = b"\xfb\xef\xbe" * 4  # 12 raw bytes, replaced by 12 bytes: offsets stay valid

    def __init__(self, jpeg: bytes) -> None:
        alert_ids = [uuid.uuid4() for _ in range(ALERTS_PER_EVENT)]
        event_id = uuid.uuid4()
        # Each template split around its placeholders: even items are fixed bytes, odd items
        # name what goes there (0 alert_id, 1 event_id, 2 unique image tail).
        self._parts: list[list[bytes | int]] = []
        for position in range(ALERTS_PER_EVENT):
            template = encode_alert(
                _alert(position, event_id, jpeg + self._MARKER, datetime.now(UTC)).model_copy(
                    update={"alert_id": alert_ids[position]}
                )
            )
            tokens = [str(alert_ids[position]).encode(), str(event_id).encode(), self._MARKER]
            pattern = re.compile(b"(" + b"|".join(re.escape(t) for t in tokens) + b")")
            pieces = pattern.split(template)
            self._parts.append([p if i % 2 == 0 else tokens.index(p) for i, p in enumerate(pieces)])
        self.edge_id = f"edge-{event_id.int % 20:02d}"
        self.camera_id = f"cam-{event_id.int % 7:02d}"

    def payload(self, index: int, event_id: uuid.UUID) -> tuple[str, bytes]:
        alert_id = str(uuid.uuid4())
        values = (alert_id.encode(), str(event_id).encode(), index.to_bytes(12, "big"))
        parts = self._parts[index % ALERTS_PER_EVENT]
        return alert_id, b"".join(p if isinstance(p, bytes) else values[p] for p in parts)


def _publisher_main(broker_json: str, seconds: float, rate: int, results: Any) -> None:
    """Publish the stream from one thread that also runs paho's network loop.

    With paho's own network thread (``loop_start``) every publish wakes that thread through a
    socket pair and hands the GIL back and forth: the publisher then cost ~200 µs of CPU per
    alert, a third of this 2-core machine at 3000 alerts/s, taken from the system under test.
    Without it, ``publish`` writes to the socket at once and PUBACKs are read while pacing.
    """
    broker = BrokerConfig.model_validate_json(broker_json)
    jpeg = _snapshot_jpeg()
    factory = PayloadFactory(jpeg)
    topic = broker.topics.alert(factory.edge_id, factory.camera_id, "crowd")
    client = make_client(broker, f"bench-edge-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    while not client.is_connected():
        client.loop(timeout=0.1)
    sent: dict[str, float] = {}
    pending: list[tuple[str, mqtt.MQTTMessageInfo]] = []
    start = time.time()
    index = 0
    event_id = uuid.uuid4()
    while (now := time.time()) - start < seconds:
        due = int((now - start) * rate) + 1 if rate > 0 else index + 50
        while index < due:
            if index % ALERTS_PER_EVENT == 0:
                event_id = uuid.uuid4()
            alert_id, payload = factory.payload(index, event_id)
            sent[alert_id] = time.time()
            pending.append((alert_id, client.publish(topic, payload, qos=1)))
            index += 1
        # Reads PUBACKs (freeing in-flight slots, sending what waited for one) until the tick.
        client.loop(timeout=TICK_S if rate > 0 else 0.0)
    # Wait for the broker's PUBACKs: from then on a message is the broker's responsibility,
    # and only those count as published (a starved publisher may still hold a backlog).
    deadline = time.monotonic() + 4 * DRAIN_TIMEOUT_S
    waiting = 0  # PUBACKs arrive in publish order, so scan from the first one not yet in
    while waiting < len(pending) and time.monotonic() < deadline:
        if pending[waiting][1].is_published():
            waiting += 1
        else:
            client.loop(timeout=0.1)
    accepted = {alert_id: sent[alert_id] for alert_id, info in pending if info.is_published()}
    client.disconnect()
    results.put(
        {"sent": accepted, "not_accepted": len(sent) - len(accepted), "snapshot_bytes": len(jpeg)}
    )


# --- orchestration -----------------------------------------------------------------------------


class AckListener:
    """Receives central's ``AlertAck`` receipts (sent after commit) with their arrival time."""

    def __init__(self, broker: BrokerConfig) -> None:
        self.acks: list[tuple[str, str, float]] = []
        self._client = make_client(broker, f"bench-acks-{uuid.uuid4().hex[:8]}")
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port)
        self._client.subscribe(f"{broker.topics.root}/edges/+/acks", qos=1)
        self._client.loop_start()
        time.sleep(0.5)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        now = time.time()
        for receipt in json.loads(message.payload)["receipts"]:
            self.acks.append((receipt["alert_id"], receipt["status"], now))

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _create_database(admin_url: str) -> tuple[str, str]:
    name = f"gwbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _db_counts(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.scalar(select(func.count()).select_from(AlertRow)) or 0
            distinct = connection.scalar(select(func.count(func.distinct(AlertRow.alert_id)))) or 0
    finally:
        engine.dispose()
    return rows, distinct


def run(options: Options) -> dict[str, Any]:
    context = mp.get_context("spawn")
    workdir = Path(tempfile.mkdtemp(prefix="gridwatch-bench-"))
    database_url, database_name = _create_database(options.postgres_url)
    processes: list[Any] = []
    stop = context.Event()
    try:
        with ManagedMosquitto(topic_prefix="bench") as mosquitto:
            broker = mosquitto.config
            for worker in range(options.workers):
                config = CentralConfig(
                    database_url=database_url,
                    broker=broker,
                    share_group="bench",
                    client_id=f"bench-central-{worker}-{uuid.uuid4().hex[:6]}",
                    session_expiry_s=60,
                    grid_file=GRID_FILE,
                    snapshot_dir=workdir / "snapshots",
                    ingest_batch_max=options.batch_max,
                    snapshot_retention_days=None,
                )
                ready = context.Event()
                process = context.Process(
                    target=_central_main, args=(config.model_dump_json(), ready, stop)
                )
                process.start()
                processes.append(process)
                if not ready.wait(60):
                    raise RuntimeError("a central worker did not start within 60 s")
            acks = AckListener(broker)
            results = context.Queue()
            raw_ready = context.Event()
            raw_stop = context.Event()
            raw = context.Process(
                target=_raw_main, args=(broker.model_dump_json(), raw_ready, raw_stop, results)
            )
            raw.start()
            raw_ready.wait(10)
            publisher = context.Process(
                target=_publisher_main,
                args=(broker.model_dump_json(), options.seconds, options.rate, results),
            )
            publisher.start()
            published = results.get(timeout=options.seconds + 6 * DRAIN_TIMEOUT_S)
            sent: dict[str, float] = published["sent"]
            _wait_for_acks(acks, len(sent))
            raw_stop.set()
            raw_state = results.get(timeout=DRAIN_TIMEOUT_S)
            acks.close()
            publisher.join()
            raw.join()
            stop.set()
            for process in processes:
                process.join(30)
            rows, distinct = _db_counts(database_url)
    finally:
        stop.set()
        for process in processes:
            if process.is_alive():
                process.terminate()
        _drop_database(options.postgres_url, database_name)
        shutil.rmtree(workdir, ignore_errors=True)
    return _summary(
        options,
        sent=sent,
        acks=acks.acks,
        raw=raw_state,
        rows=rows,
        distinct=distinct,
        snapshot_bytes=published["snapshot_bytes"],
        not_accepted=published["not_accepted"],
    )


def _wait_for_acks(acks: AckListener, expected: int) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    last = -1
    while time.monotonic() < deadline and len(acks.acks) < expected:
        if len(acks.acks) != last:
            last, deadline = len(acks.acks), time.monotonic() + DRAIN_TIMEOUT_S
        time.sleep(0.2)


def _summary(
    options: Options,
    *,
    sent: dict[str, float],
    acks: list[tuple[str, str, float]],
    raw: dict[str, float],
    rows: int,
    distinct: int,
    snapshot_bytes: int,
    not_accepted: int,
) -> dict[str, Any]:
    stored_acks = [(alert_id, at) for alert_id, status, at in acks if status == "stored"]
    stored_ids = {alert_id for alert_id, _ in stored_acks}
    first_sent = min(sent.values())
    last_stored = max((at for _, at in stored_acks), default=first_sent)
    latencies = np.array([at - sent[alert_id] for alert_id, at in stored_acks if alert_id in sent])
    alerts_per_s = len(stored_ids) / max(last_stored - first_sent, 1e-9)
    raw_per_s = raw["count"] / max(raw["last"] - first_sent, 1e-9)

    def percentile(q: float) -> float | None:
        return round(float(np.percentile(latencies, q)) * 1e3, 1) if len(latencies) else None

    return {
        "published": len(sent),
        "not_accepted_by_broker": not_accepted,
        "stored": distinct,
        "raw_received": int(raw["count"]),
        "receipts_stored": len(stored_acks),
        "rate_offered": options.rate or "max",
        "seconds": options.seconds,
        "snapshot_bytes": snapshot_bytes,
        "batch_max": options.batch_max,
        "database": "postgresql",
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
        "alerts_per_s": round(alerts_per_s, 1),
        "raw_per_s": round(raw_per_s, 1),
        "ratio_vs_raw": round(alerts_per_s / raw_per_s, 3) if raw_per_s else None,
        "lost": len(sent) - distinct,
        "duplicated": (rows - distinct) + (len(stored_acks) - len(stored_ids)),
        "workers": options.workers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.central", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=3000, help="alerts/s offered; 0 = max")
    parser.add_argument(
        "--workers", type=int, default=1, help="central processes, one $share group"
    )
    parser.add_argument(
        "--batch-max", type=int, default=CentralConfig.model_fields["ingest_batch_max"].default
    )
    parser.add_argument("--quick", action="store_true", help="10 s at 1000/s: a smoke run")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("GRIDWATCH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="admin URL; a fresh database is created and dropped",
    )
    args = parser.parse_args(argv)
    options = Options(
        seconds=10.0 if args.quick else args.seconds,
        rate=1000 if args.quick else args.rate,
        workers=args.workers,
        batch_max=args.batch_max,
        postgres_url=args.postgres_url,
    )
    print(
        f"central ingest: {options.workers} worker(s), {options.rate or 'max'} alerts/s offered"
        f" for {options.seconds:g} s ...",
        file=sys.stderr,
        flush=True,
    )
    print(json.dumps(run(options)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
