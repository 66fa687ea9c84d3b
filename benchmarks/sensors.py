"""Sensor ingest throughput, and time from a sensor alarm to its camera picture (视频联动).

``python -m benchmarks.sensors [--part throughput|linkage|both] [--seconds 20] [--rate 0]
[--sensors 2000] [--batch 50] [--alarms 40] [--quick]``

A private Mosquitto, a fresh PostgreSQL database, central in its own process (as ``serve``).

- ``throughput``: a publisher process plays ``--sensors`` water-level sensors behind 10
  gateways, ``--batch`` readings per ``SensorBatch`` at ``--rate`` readings/s (0: as fast as
  it can, 1000 batches in flight), for ``--seconds``; ~2 % of values cross the alarm level,
  so the rules change states and keep samples as in a real rain shower. Sustained rate =
  readings whose batch receipt came back stored, over first publish → last receipt (central
  sends a receipt only after the commit). The offered rate (publish only) is the reference in
  the same run. ``lost`` = readings sent minus records in stored batches (counted in the
  database too).
- ``linkage``: ``gridwatch edge run`` (its own process, the real detector) plays the sample
  clip in real time for one camera; ``--alarms`` smoke sensors linked to it alarm one after the
  other, 0.25 s apart. Latency = the link row's ``resolved_at`` (picture written, indexed and
  attached) minus the publish of the alarm, split into alarm → alert stored and alert stored →
  picture attached.

Last line: one JSON object. Nothing here asserts a time; the box is shared, read figures
against the reference measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from benchmarks.central import _central_main, _create_database, _drop_database
from gridwatch.mosquitto import ManagedMosquitto
from gridwatch.sensor_gateway import SimulatedGateway
from gridwatch_central.config import CentralConfig, SensorsConfig
from gridwatch_central.db import grid_repository
from gridwatch_central.db import sensor_repository as sensor_rows
from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.migrate import upgrade_to_head
from gridwatch_central.db.tables import AlertLinkRow, AlertRow, SensorBatchRow, SensorStateRow
from gridwatch_central.edge_requests import EdgeRequestClient, EdgeRequestMetrics, SnapshotOk
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES, decode_message
from gridwatch_contract.sensors import SensorAck, SensorRecord, SensorRecordKind

REPO = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GATEWAYS = 10
LAT, LON = 30.2290, 108.3985
EDGE_ID = "bench-edge"
CAMERA_ID = "bench-cam"
# Generous waits for a shared 2-core box; none is a measurement.
READY_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 120.0
ALARM_SPACING_S = 0.25


@dataclass(frozen=True, slots=True)
class Options:
    part: str
    seconds: float
    rate: int
    sensors: int
    batch: int
    alarms: int
    postgres_url: str
    clip: Path


def _register(database_url: str, rows: list[dict[str, Any]], camera: bool) -> None:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        if camera:
            grid_repository.add_camera(
                session,
                {"id": CAMERA_ID, "edge_id": EDGE_ID, "name": CAMERA_ID, "rtsp_url": "rtsp://h/1",
                 "lat": LAT, "lon": LON, "homography": None, "created_at": now,
                 "updated_at": now},
            )  # fmt: skip
        for start in range(0, len(rows), 1000):
            sensor_rows.upsert_sensors(session, rows[start : start + 1000])
    engine.dispose()


def _sensor(
    sensor_id: str, gateway_id: str, kind: str, cameras: list[str] | None
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": sensor_id, "gateway_id": gateway_id, "vendor_code": "BENCH", "sensor_type": kind,
        "name": sensor_id, "lat": LAT, "lon": LON, "height_m": None, "grid_l1_code": None,
        "grid_l2_code": None, "grid_l3_code": None, "linked_cameras": cameras,
        "threshold": None, "heartbeat_interval_s": None, "created_at": now, "updated_at": now,
    }  # fmt: skip


def _central_config(database_url: str, broker: BrokerConfig, workdir: Path) -> CentralConfig:
    return CentralConfig(
        database_url=database_url,
        broker=broker,
        client_id=f"bench-central-{uuid.uuid4().hex[:6]}",
        grid_file=REPO / "configs/grid/example-district.geojson",
        routing_file=REPO / "configs/routing.yaml",
        snapshot_dir=workdir / "snapshots",
        sensors=SensorsConfig(types_file=REPO / "configs/sensor_types.yaml"),
    )


def _batch_json(gateway_id: str, sensors: list[str], now: datetime, noisy: random.Random) -> bytes:
    """A batch as a gateway writes it (plain JSON; pydantic would cost the publisher more CPU
    per batch than central spends storing it)."""
    at = (now - timedelta(seconds=1)).isoformat()
    records = ",".join(
        f'{{"sensor_id":"{sensor}","sensor_type":"water_level","kind":"reading",'
        f'"observed_at":"{at}","value":{_level(noisy):.1f}}}'
        for sensor in sensors
    )
    return (
        f'{{"schema_version":1,"message_id":"{uuid.uuid4()}","gateway_id":"{gateway_id}",'
        f'"sent_at":"{now.isoformat()}","records":[{records}]}}'
    ).encode()


def _level(noisy: random.Random) -> float:
    """A water level in mm: mostly dry road, 2 % past the 150 mm alarm level."""
    return noisy.uniform(150, 200) if noisy.random() < 0.02 else noisy.uniform(0, 60)


def _publisher_main(broker_json: str, options_json: str, results: Any) -> None:
    broker = BrokerConfig.model_validate_json(broker_json)
    options = json.loads(options_json)
    sensors, batch, rate, seconds = (
        options["sensors"], options["batch"], options["rate"], options["seconds"]
    )  # fmt: skip
    receipts: dict[str, tuple[str, float]] = {}
    lock = threading.Lock()

    def on_message(_c: Any, _u: Any, message: Any) -> None:
        ack = decode_message(SensorAck, bytes(message.payload))
        at = time.monotonic()
        with lock:
            for receipt in ack.receipts:
                receipts[str(receipt.message_id)] = (receipt.status, at)

    client = make_client(broker, f"bench-gateways-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.subscribe(broker.topics.all_gateway_acks(), qos=1)
    client.loop_start()
    time.sleep(0.5)
    noisy = random.Random(7)
    per_gateway = sensors // GATEWAYS
    sent, count, started = 0, 0, time.monotonic()
    while time.monotonic() - started < seconds:
        if rate and sent >= rate * (time.monotonic() - started):
            time.sleep(0.001)
            continue
        gateway = count % GATEWAYS
        first = (count // GATEWAYS * batch) % per_gateway
        ids = [f"wl-{gateway}-{(first + i) % per_gateway}" for i in range(batch)]
        payload = _batch_json(f"gw-{gateway}", ids, datetime.now(UTC), noisy)
        client.publish(broker.topics.sensor_batches(f"gw-{gateway}"), payload, qos=1)
        sent += batch
        count += 1
    last_publish = time.monotonic()
    deadline = last_publish + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        with lock:
            if len(receipts) >= count:
                break
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    statuses = [status for status, _at in receipts.values()]
    results.put(
        {
            "batches": count,
            "readings": sent,
            "stored_batches": statuses.count("stored"),
            "duplicate_batches": statuses.count("duplicate"),
            "rejected_batches": statuses.count("rejected"),
            "publish_s": last_publish - started,
            "receipt_s": max((at for _s, at in receipts.values()), default=started) - started,
        }
    )


def throughput(options: Options, broker: BrokerConfig, database_url: str) -> dict[str, Any]:
    context = mp.get_context("spawn")
    per_gateway = options.sensors // GATEWAYS
    rows = [
        _sensor(f"wl-{g}-{n}", f"gw-{g}", "water_level", [])
        for g in range(GATEWAYS)
        for n in range(per_gateway)
    ]
    _register(database_url, rows, camera=False)
    workdir = Path(tempfile.mkdtemp(prefix="gridwatch-bench-sensors-"))
    ready, stop = context.Event(), context.Event()
    config = _central_config(database_url, broker, workdir)
    central = context.Process(target=_central_main, args=(config.model_dump_json(), ready, stop))
    central.start()
    results = context.Queue()
    try:
        if not ready.wait(READY_TIMEOUT_S):
            raise RuntimeError("central did not start")
        publisher_options = {
            "sensors": options.sensors, "batch": options.batch, "rate": options.rate,
            "seconds": options.seconds,
        }  # fmt: skip
        publisher = context.Process(
            target=_publisher_main,
            args=(broker.model_dump_json(), json.dumps(publisher_options), results),
        )
        publisher.start()
        sent = results.get(timeout=options.seconds + DRAIN_TIMEOUT_S + 60)
        publisher.join()
    finally:
        stop.set()
        central.join(30)
    stored = _stored_records(database_url)
    readings = sent["readings"]
    return {
        "sensors": options.sensors,
        "batch": options.batch,
        "offered_per_s": round(readings / sent["publish_s"], 1),
        "sustained_per_s": round(readings / sent["receipt_s"], 1),
        "readings": readings,
        "stored_records": stored["records"],
        "lost": readings - stored["records"],
        "batches": sent["batches"],
        "stored_batches": sent["stored_batches"],
        "rejected_batches": sent["rejected_batches"],
        "states": stored["states"],
        "samples": stored["samples"],
        "alerts": stored["alerts"],
    }


def _stored_records(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                "records": connection.scalar(select(func.sum(SensorBatchRow.records))) or 0,
                "states": connection.scalar(select(func.count()).select_from(SensorStateRow)) or 0,
                "samples": connection.exec_driver_sql(
                    "SELECT count(*) FROM sensor_samples"
                ).scalar()
                or 0,
                "alerts": connection.scalar(select(func.count()).select_from(AlertRow)) or 0,
            }
    finally:
        engine.dispose()


def _edge_yaml(workdir: Path, broker: BrokerConfig, clip: Path) -> Path:
    document = {
        "edge_id": EDGE_ID,
        "broker": broker.model_dump(mode="json"),
        "remote_config": False,
        "outbox": {"path": str(workdir / "outbox.db")},
        "cameras": [{"id": CAMERA_ID, "url": str(clip), "analysis_fps": 2, "realtime": True}],
    }
    path = workdir / "edge.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _wait_edge(broker: BrokerConfig, edge: subprocess.Popen[bytes]) -> None:
    client = EdgeRequestClient(
        broker,
        client_id=f"bench-ready-{uuid.uuid4().hex[:6]}",
        metrics=EdgeRequestMetrics(CollectorRegistry()),
        max_payload_bytes=DEFAULT_MAX_PAYLOAD_BYTES,
    )
    client.start(10)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if edge.poll() is not None:
                raise RuntimeError(f"gridwatch edge run exited with {edge.returncode}")
            if isinstance(client.request_snapshot(EDGE_ID, CAMERA_ID, 2.0), SnapshotOk):
                return
            time.sleep(0.2)
        raise RuntimeError("the edge's camera gave no snapshot in time")
    finally:
        client.stop()


def linkage(options: Options, broker: BrokerConfig, database_url: str) -> dict[str, Any]:
    context = mp.get_context("spawn")
    sensors = [f"smoke-{n}" for n in range(options.alarms)]
    _register(
        database_url, [_sensor(s, "gw-link", "smoke", [CAMERA_ID]) for s in sensors], camera=True
    )
    workdir = Path(tempfile.mkdtemp(prefix="gridwatch-bench-linkage-"))
    edge = subprocess.Popen(
        [sys.executable, "-m", "gridwatch", "edge", "run", "--config",
         str(_edge_yaml(workdir, broker, options.clip))],
        stdout=subprocess.DEVNULL, stderr=(workdir / "edge.log").open("wb"),
    )  # fmt: skip
    ready, stop = context.Event(), context.Event()
    config = _central_config(database_url, broker, workdir)
    central = context.Process(target=_central_main, args=(config.model_dump_json(), ready, stop))
    central.start()
    try:
        if not ready.wait(READY_TIMEOUT_S):
            raise RuntimeError("central did not start")
        _wait_edge(broker, edge)
        published = _alarms(broker, sensors)
        resolved = _wait_links(database_url, len(sensors))
    finally:
        stop.set()
        central.join(30)
        edge.terminate()
        edge.wait(30)
    return _linkage_figures(published, resolved)


def _alarms(broker: BrokerConfig, sensors: list[str]) -> dict[str, datetime]:
    gateway = SimulatedGateway(broker, "gw-link")
    gateway.start()
    published = {}
    try:
        for sensor_id in sensors:
            now = datetime.now(UTC)
            record = SensorRecord(
                sensor_id=sensor_id, sensor_type="smoke", kind=SensorRecordKind.ALARM,
                observed_at=now - timedelta(milliseconds=10),
            )  # fmt: skip
            published[sensor_id] = datetime.now(UTC)
            gateway.send([record])
            time.sleep(ALARM_SPACING_S)
        gateway.wait_for_receipts(60)
    finally:
        gateway.close()
    return published


def _wait_links(database_url: str, count: int) -> list[tuple[str, datetime, datetime, str]]:
    """(sensor, alert received_at, link resolved_at, status) of every alarm's link."""
    engine = make_engine(database_url)
    query = (
        select(
            AlertRow.camera_id, AlertRow.received_at, AlertLinkRow.resolved_at, AlertLinkRow.status
        )
        .join(AlertLinkRow, AlertLinkRow.alert_id == AlertRow.alert_id)
        .where(AlertLinkRow.resolved_at.is_not(None))
    )
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while True:
            with engine.connect() as connection:
                rows = [(r[0], r[1], r[2], r[3]) for r in connection.execute(query) if r[2]]
            if len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.2)
    finally:
        engine.dispose()


def _linkage_figures(
    published: dict[str, datetime], resolved: list[tuple[str, datetime, datetime, str]]
) -> dict[str, Any]:
    total = [
        (done - published[s]).total_seconds()
        for s, _got, done, status in resolved
        if status == "attached"
    ]
    ingest = [(got - published[s]).total_seconds() for s, got, _done, _st in resolved]
    attach = [(done - got).total_seconds() for _s, got, done, _st in resolved]

    def quantiles(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3),
                "max": round(ordered[-1], 3)}  # fmt: skip

    return {
        "alarms": len(published),
        "attached": len(total),
        "not_attached": {
            st: sum(1 for *_r, s in resolved if s == st)
            for st in {r[3] for r in resolved} - {"attached"}
        },
        "alarm_to_picture_s": quantiles(total),
        "alarm_to_alert_s": quantiles(ingest),
        "alert_to_picture_s": quantiles(attach),
    }


def run(options: Options) -> dict[str, Any]:
    summary: dict[str, Any] = {"database": "postgresql", "cpus": os.cpu_count()}
    for part, measure in (("throughput", throughput), ("linkage", linkage)):
        if options.part not in (part, "both"):
            continue
        database_url, name = _create_database(options.postgres_url)
        try:
            with ManagedMosquitto(topic_prefix="bench") as mosquitto:
                summary[part] = measure(options, mosquitto.config, database_url)
        finally:
            _drop_database(options.postgres_url, name)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("throughput", "linkage", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=int, default=0, help="readings/s offered; 0 = max")
    parser.add_argument("--sensors", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50, help="readings per batch")
    parser.add_argument("--alarms", type=int, default=40)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("GRIDWATCH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument(
        "--clip",
        type=Path,
        default=Path(os.environ.get("GRIDWATCH_SAMPLES_DIR", REPO.parent / "shared/video"))
        / "vtest.avi",
    )
    parser.add_argument("--quick", action="store_true", help="5 s and 10 alarms (a smoke test)")
    args = parser.parse_args(argv)
    options = Options(
        part=args.part,
        seconds=5.0 if args.quick else args.seconds,
        rate=args.rate,
        sensors=args.sensors,
        batch=args.batch,
        alarms=10 if args.quick else args.alarms,
        postgres_url=args.postgres_url,
        clip=args.clip,
    )
    print(json.dumps(run(options)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
