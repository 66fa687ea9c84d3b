"""The console's speed: the queue page with 200 open incidents, and alert → screen latency.

``python -m benchmarks.console [--incidents 200] [--renders 30] [--alerts 40]``

1. Queue render. Seeds a fresh PostgreSQL database, through the ingest path, with
   ``--incidents`` alerts far enough apart that each opens its own PENDING incident, then has a
   district operator load ``GET /console/queue`` ``--renders`` times in-process (FastAPI's test
   client: server time, no network, no browser). The same run times
   ``GET /api/v1/incidents?status=PENDING&limit=200`` for the same operator as the reference:
   the page adds the grid names, the duplicate candidates and the HTML to that query.
2. Alert → console. Real uvicorn on loopback, a private mosquitto and the runtime's MQTT
   consumer; a logged-in console holds ``GET /console/events`` (SSE) open. Each of ``--alerts``
   alerts (one new incident each) is timed from the moment it is handed to the broker until
   the console has received its event *and* fetched its card (``/console/queue/cards``), the
   two steps the page's script takes before drawing it.

Reports p50/p95/max of each; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import secrets
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from fastapi.testclient import TestClient
from pydantic import SecretStr

from benchmarks.central import DEFAULT_POSTGRES, GRID_FILE, _create_database, _drop_database
from gridwatch.api_server import ApiServer
from gridwatch.mosquitto import ManagedMosquitto, free_port
from gridwatch_central.auth.models import UserIn
from gridwatch_central.auth.scope import Role
from gridwatch_central.config import AuthConfig, BootstrapAdmin, CentralConfig
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import (
    AlertMessage,
    AlertState,
    EventType,
    FrameSize,
    GeoPoint,
    ModelInfo,
    Snapshot,
)

OPERATOR = ("bench-operator", "bench-operator-password")
DISTRICT = "500240"
# Lattice of alert positions inside the example grid, 200 m apart: crowds merge within 80 m,
# so every alert opens an incident of its own. The latency run uses the lattice shifted by
# 100 m both ways (>= 141 m from every seeded point).
SOUTH, WEST = 30.2215, 108.3815
STEP_LAT, STEP_LON = 0.0018, 0.0019  # ~200 m by ~180 m
COLUMNS = 20
# How long one alert may take to reach the console before the run is declared broken.
ALERT_TIMEOUT_S = 15.0
# Pause between latency samples (untimed): one alert at a time, as an operator sees them.
SAMPLE_GAP_S = 0.2
SNAPSHOT = bytes.fromhex("ffd8ffd9")  # the smallest JPEG frame: the snapshot is not measured


def _point(index: int, shifted: bool) -> GeoPoint:
    row, column = divmod(index, COLUMNS)
    offset = 0.5 if shifted else 0.0
    return GeoPoint(lat=SOUTH + (row + offset) * STEP_LAT, lon=WEST + (column + offset) * STEP_LON)


def _alert(index: int, *, shifted: bool) -> AlertMessage:
    now = datetime.now(UTC)
    return AlertMessage(
        alert_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        sequence=0,
        edge_id="bench-edge",
        camera_id=f"cam-{index % 11:02d}",
        event_type=EventType.CROWD,
        rule_id="crowd-1",
        zone_id="plaza",
        state=AlertState.NEW,
        started_at=now,
        updated_at=now,
        confidence=0.8,
        objects=[],
        measurements={"person_count": 6.0},
        frame=FrameSize(width=768, height=576),
        location=_point(index, shifted),
        snapshot=Snapshot(data=SNAPSHOT, width=768, height=576),
        model=ModelInfo(name="yolox_nano", version="0.1.1"),
    )


def _config(database_url: str, broker: BrokerConfig, workdir: Path) -> CentralConfig:
    return CentralConfig(
        database_url=database_url,
        broker=broker,
        client_id=f"console-bench-{uuid.uuid4().hex[:8]}",
        grid_file=GRID_FILE,
        snapshot_dir=workdir / "snapshots",
        auth=AuthConfig(
            jwt_secret=secrets.token_urlsafe(32),
            bootstrap_admin=BootstrapAdmin(password=secrets.token_urlsafe(12)),
        ),
        snapshot_retention_days=None,
    )


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    values = np.array(samples_s) * 1000
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "max_ms": round(float(values.max()), 1),
        "n": len(samples_s),
    }


def _login(client: TestClient | httpx.Client, origin: str) -> None:
    response = client.post(
        "/console/login",
        data={"username": OPERATOR[0], "password": OPERATOR[1]},
        headers={"Origin": origin},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code} {response.text[:200]}")


def measure_render(runtime: CentralRuntime, renders: int) -> dict[str, Any]:
    client = TestClient(runtime.app)
    _login(client, "http://testserver")
    token = runtime.auth.login(*OPERATOR).access_token
    api_headers = {"Authorization": f"Bearer {token}"}
    page_times, api_times = [], []
    shown = 0
    for _ in range(renders + 2):  # the first two warm caches and are dropped
        started = time.perf_counter()
        page = client.get("/console/queue")
        page_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        listed = client.get(
            "/api/v1/incidents", params={"status": "PENDING", "limit": 200}, headers=api_headers
        )
        api_times.append(time.perf_counter() - started)
        if page.status_code != 200 or listed.status_code != 200:
            raise RuntimeError(f"render failed: {page.status_code} / {listed.status_code}")
        shown = page.text.count('class="incident"')
    page_result = _percentiles(page_times[2:])
    api_result = _percentiles(api_times[2:])
    return {
        "cards_on_page": shown,
        "queue_page": page_result,
        "api_incidents_200": api_result,
        "page_over_api_p50": round(page_result["p50_ms"] / api_result["p50_ms"], 2),
    }


class _EventReader(threading.Thread):
    """Holds the SSE stream open and hands each incident event to the main thread."""

    def __init__(self, client: httpx.Client) -> None:
        super().__init__(name="sse-reader", daemon=True)
        self._client = client
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:
            if not self.stop.is_set():  # closed by the server while still measuring
                raise

    def _read(self) -> None:
        with self._client.stream("GET", "/console/events", timeout=None) as stream:
            self.connected.set()
            kind = ""
            for line in stream.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "incident":
                    self.events.put(json.loads(line[6:]))


def measure_latency(runtime: CentralRuntime, broker: BrokerConfig, alerts: int) -> dict[str, Any]:
    server = ApiServer(runtime.app, "127.0.0.1", free_port())
    server.start()
    client = httpx.Client(base_url=server.url)
    publisher = make_client(broker, f"console-bench-edge-{uuid.uuid4().hex[:8]}")
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    reader = _EventReader(client)
    try:
        _login(client, server.url)
        reader.start()
        if not reader.connected.wait(10):
            raise RuntimeError("the SSE stream did not open")
        time.sleep(1.0)  # the feed's poller is running before the first sample
        samples = []
        for index in range(alerts):
            alert = _alert(index, shifted=True)
            topic = broker.topics.alert(alert.edge_id, alert.camera_id, alert.event_type.value)
            started = time.perf_counter()
            publisher.publish(topic, encode_message(alert), qos=1)
            event = _next_opened(reader)
            cards = client.get("/console/queue/cards", params={"ids": str(event["id"])})
            if f'id="incident-{event["id"]}"' not in cards.text:
                raise RuntimeError(f"incident {event['id']} announced but its card is missing")
            samples.append(time.perf_counter() - started)
            time.sleep(SAMPLE_GAP_S)
        return {"alert_to_console": _percentiles(samples)}
    finally:
        reader.stop.set()
        publisher.loop_stop()
        publisher.disconnect()
        client.close()
        server.stop()


def _next_opened(reader: _EventReader) -> dict[str, Any]:
    deadline = time.monotonic() + ALERT_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            event = reader.events.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if event["action"] == "opened":
            return event
    raise RuntimeError(f"no new incident reached the console within {ALERT_TIMEOUT_S} s")


def run(postgres_url: str, incidents: int, renders: int, alerts: int) -> dict[str, Any]:
    database_url, name = _create_database(postgres_url)
    workdir = Path(tempfile.mkdtemp(prefix="gw-console-bench-"))
    try:
        with ManagedMosquitto(topic_prefix="bench") as mosquitto:
            runtime = CentralRuntime(_config(database_url, mosquitto.config, workdir))
            runtime.start()
            try:
                runtime.auth.create_user(
                    UserIn(
                        username=OPERATOR[0],
                        password=SecretStr(OPERATOR[1]),
                        role=Role.OPERATOR,
                        grid_prefixes=[DISTRICT],
                    )
                )
                for index in range(incidents):
                    message = encode_message(_alert(index, shifted=False))
                    outcome = runtime.ingest.handle("bench/v1/alerts", message)
                    assert outcome.status == "stored", outcome
                render = measure_render(runtime, renders)
                latency = measure_latency(runtime, mosquitto.config, alerts)
            finally:
                runtime.stop()
    finally:
        _drop_database(postgres_url, name)
    return {"incidents": incidents, **render, **latency}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--alerts", type=int, default=40)
    parser.add_argument(
        "--postgres", default=os.environ.get("GRIDWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args(argv)
    result = run(args.postgres, args.incidents, args.renders, args.alerts)
    render, api = result["queue_page"], result["api_incidents_200"]
    print(
        f"queue page, {result['cards_on_page']} cards: p50 {render['p50_ms']} ms,"
        f" p95 {render['p95_ms']} ms, max {render['max_ms']} ms"
        f" (API list of 200: p50 {api['p50_ms']} ms; page/API {result['page_over_api_p50']}x)"
    )
    latency = result["alert_to_console"]
    print(
        f"alert -> console card: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms,"
        f" max {latency['max_ms']} ms over {latency['n']} alerts"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
