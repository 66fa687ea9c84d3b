"""Round-trip latency of central's snapshot requests to an edge that runs K cameras.

``python -m benchmarks.edge_snapshot_request [--cameras 4] [--requests 200] [--concurrency 8]
[--clip vtest_720p25.mp4] [--quick]``

Starts a private mosquitto and ``gridwatch edge run`` (its own process, the real detector)
with ``--cameras`` copies of the clip paced in real time at 5 analysed fps, then asks through
central's ``EdgeRequestClient`` (this process) for snapshots, round-robin over the cameras:

- ``paced``: one request at a time, ``--requests`` of them, spaced so that each camera is
  asked at most once per analysed frame: every answer encodes a new frame (a console user, the
  linked cameras of sensor alarms);
- ``back_to_back``: the same without pauses: most answers reuse the JPEG the edge encoded for
  the previous request of that frame;
- ``concurrent``: waves of ``--concurrency`` requests at once, ``--requests`` in all;
- ``transport``: the reference, in the same run: a responder thread in this process answers
  every request at once with a prepared response holding a JPEG of the median size seen, so
  the figure is broker, MQTT and (de)serialization alone, without the edge's work;
- ``tcp_nodelay``: plain paho clients bouncing a 300-byte request and an answer of that JPEG's
  size through two more private brokers, with Nagle's algorithm on or off at the broker
  (``set_tcp_nodelay``) and at the clients (``make_client`` switches it off): what the
  delayed-ACK stalls cost each round trip.

Latency is from submitting a request to its future resolving. The last line is one JSON object
(milliseconds). The machine is shared: compare the edge's figures with the transport reference
measured in the same run, not with other runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import yaml
from prometheus_client import CollectorRegistry

from gridwatch.mosquitto import ManagedMosquitto
from gridwatch_central.edge_requests import (
    EdgeRequestClient,
    EdgeRequestMetrics,
    SnapshotOk,
    SnapshotResult,
)
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES, decode_message, encode_framed
from gridwatch_contract.edge_requests import EdgeRequest, EdgeResponse, ResponseStatus
from gridwatch_contract.messages import Snapshot

EDGE_ID = "bench-edge"
ECHO_EDGE_ID = "bench-echo"
# A loaded 2-core box takes a while to load the model and open K streams.
READY_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 10.0
# Five analysed frames a second per camera: the example configuration's rate.
ANALYSIS_FPS = 5


def _edge_yaml(workdir: Path, broker: BrokerConfig, clip: Path, cameras: int) -> Path:
    document = {
        "edge_id": EDGE_ID,
        "broker": broker.model_dump(mode="json"),
        "remote_config": False,
        "outbox": {"path": str(workdir / "outbox.db")},
        "cameras": [
            {"id": f"cam-{n}", "url": str(clip), "analysis_fps": ANALYSIS_FPS, "realtime": True}
            for n in range(cameras)
        ],
    }
    path = workdir / "edge.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _wait_ready(client: EdgeRequestClient, cameras: int, edge: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = {f"cam-{n}" for n in range(cameras)}
    while waiting and time.monotonic() < deadline:
        if edge.poll() is not None:
            raise RuntimeError(f"gridwatch edge run exited with {edge.returncode}")
        for camera_id in sorted(waiting):
            if isinstance(client.request_snapshot(EDGE_ID, camera_id, 2.0), SnapshotOk):
                waiting.discard(camera_id)
        time.sleep(0.2)
    if waiting:
        raise RuntimeError(f"cameras without a snapshot after {READY_TIMEOUT_S:g} s: {waiting}")


def _timed(client: EdgeRequestClient, edge_id: str, camera_id: str) -> tuple[float, Future[Any]]:
    return time.perf_counter(), client.submit_snapshot(edge_id, camera_id, REQUEST_TIMEOUT_S)


def _sequential(
    client: EdgeRequestClient, edge_id: str, cameras: int, count: int, pause_s: float = 0.0
) -> tuple[list[float], list[SnapshotResult]]:
    latencies, results = [], []
    for n in range(count):
        started, future = _timed(client, edge_id, f"cam-{n % cameras}")
        results.append(future.result())
        latencies.append(time.perf_counter() - started)
        time.sleep(pause_s)
    return latencies, results


def _concurrent(
    client: EdgeRequestClient, edge_id: str, cameras: int, count: int, concurrency: int
) -> tuple[list[float], list[SnapshotResult], float]:
    latencies: list[float] = []
    results: list[SnapshotResult] = []
    began = time.perf_counter()
    for wave_start in range(0, count, concurrency):
        wave = range(wave_start, min(wave_start + concurrency, count))
        timed = [_timed(client, edge_id, f"cam-{n % cameras}") for n in wave]
        for started, future in timed:
            future.add_done_callback(_stopwatch(latencies, started))
        results.extend(future.result() for _started, future in timed)
    return latencies, results, time.perf_counter() - began


def _stopwatch(latencies: list[float], started: float) -> Callable[[Future[Any]], None]:
    """Records the time from ``started`` to the future resolving (on the resolving thread)."""

    def record(_future: Future[Any]) -> None:
        latencies.append(time.perf_counter() - started)

    return record


class _EchoEdge:
    """Answers every request on its topic at once with one prepared JPEG: transport only."""

    def __init__(self, broker: BrokerConfig, jpeg: bytes, width: int, height: int) -> None:
        self._topics = broker.topics
        self._snapshot = Snapshot(data=jpeg, width=width, height=height)
        self._client = make_client(broker, f"bench-echo-{uuid.uuid4().hex[:6]}")
        self._client.on_connect = lambda c, *_a: c.subscribe(
            self._topics.edge_requests(ECHO_EDGE_ID), qos=1
        )
        self._client.on_message = self._answer
        self._subscribed = False
        self._client.on_subscribe = lambda *_a: setattr(self, "_subscribed", True)
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        deadline = time.monotonic() + 10
        while not self._subscribed and time.monotonic() < deadline:
            time.sleep(0.01)

    def _answer(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        request = decode_message(EdgeRequest, bytes(message.payload))
        now = datetime.now(UTC)
        response = EdgeResponse(
            request_id=request.request_id,
            edge_id=ECHO_EDGE_ID,
            camera_id=request.camera_id,
            status=ResponseStatus.OK,
            responded_at=now,
            captured_at=now,
            snapshot=self._snapshot,
        )
        self._client.publish(self._topics.edge_responses(ECHO_EDGE_ID), encode_framed(response), 1)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _nagle_probe(size: int, rounds: int) -> dict[str, dict[str, float | None]]:
    """Round trips of a 300-byte request answered with ``size`` bytes, plain paho clients,
    with Nagle's algorithm on or off at the broker (``set_tcp_nodelay``) and the clients."""
    figures = {}
    for broker_nodelay in (False, True):
        with ManagedMosquitto(topic_prefix="nagle", tcp_nodelay=broker_nodelay) as mosquitto:
            for client_nodelay in (False, True):
                latencies = _echo_round_trips(mosquitto.config, client_nodelay, size, rounds)
                key = f"broker_{_on(broker_nodelay)}_clients_{_on(client_nodelay)}"
                figures[key] = {"p50_ms": _ms(latencies, 50), "p95_ms": _ms(latencies, 95)}
    return figures


def _on(nodelay: bool) -> str:
    return "nodelay" if nodelay else "nagle"


def _echo_round_trips(broker: BrokerConfig, nodelay: bool, size: int, rounds: int) -> list[float]:
    clients = [make_client(broker, f"nagle-{uuid.uuid4().hex[:6]}") for _ in range(2)]
    asker, echo = clients
    answered = threading.Event()
    subscribed = threading.Semaphore(0)
    answer = b"x" * size
    for client in clients:
        if not nodelay:
            client.on_socket_open = None  # make_client's TCP_NODELAY not applied
        client.on_subscribe = lambda *_a: subscribed.release()
    echo.on_connect = lambda c, *_a: c.subscribe("req", 1)

    def reply(client: mqtt.Client, _userdata: Any, _message: mqtt.MQTTMessage) -> None:
        client.publish("resp", answer, 1)

    echo.on_message = reply
    asker.on_connect = lambda c, *_a: c.subscribe("resp", 1)
    asker.on_message = lambda *_a: answered.set()
    for client in clients:
        client.connect(broker.host, broker.port)
        client.loop_start()
    try:
        for _ in clients:
            subscribed.acquire(timeout=10)
        latencies = []
        for _ in range(rounds):
            answered.clear()
            started = time.perf_counter()
            asker.publish("req", b"r" * 300, 1)
            if answered.wait(REQUEST_TIMEOUT_S):
                latencies.append(time.perf_counter() - started)
        return latencies
    finally:
        for client in clients:
            client.disconnect()
            client.loop_stop()


def _ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1e3, 1) if values else None


def _summary(latencies: list[float], results: list[SnapshotResult]) -> dict[str, Any]:
    failures: dict[str, int] = {}
    for result in results:
        if not isinstance(result, SnapshotOk):
            failures[result.failure.value] = failures.get(result.failure.value, 0) + 1
    return {
        "p50_ms": _ms(latencies, 50),
        "p95_ms": _ms(latencies, 95),
        "p99_ms": _ms(latencies, 99),
        "max_ms": _ms(latencies, 100),
        "failures": failures,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    clip = Path(args.samples_dir) / args.clip
    workdir = Path(tempfile.mkdtemp(prefix="gridwatch-snapshot-bench-"))
    with ManagedMosquitto(topic_prefix="snapbench") as mosquitto:
        broker = mosquitto.config
        config_path = _edge_yaml(workdir, broker, clip, args.cameras)
        edge = subprocess.Popen(
            [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = EdgeRequestClient(
            broker,
            client_id=f"bench-central-{uuid.uuid4().hex[:6]}",
            metrics=EdgeRequestMetrics(CollectorRegistry()),
            max_payload_bytes=DEFAULT_MAX_PAYLOAD_BYTES,
        )
        client.start(10)
        try:
            print(f"waiting for {args.cameras} cameras ...", file=sys.stderr, flush=True)
            _wait_ready(client, args.cameras, edge)
            # Each camera asked at most once per analysed frame: every answer encodes a frame.
            pause_s = 1.0 / (ANALYSIS_FPS * args.cameras)
            print(f"{args.requests} paced requests ...", file=sys.stderr, flush=True)
            seq_latencies, seq_results = _sequential(
                client, EDGE_ID, args.cameras, args.requests, pause_s
            )
            print(f"{args.requests} back to back ...", file=sys.stderr, flush=True)
            b2b_latencies, b2b_results = _sequential(client, EDGE_ID, args.cameras, args.requests)
            print(f"{args.requests} in waves of {args.concurrency} ...", file=sys.stderr)
            con_latencies, con_results, con_elapsed = _concurrent(
                client, EDGE_ID, args.cameras, args.requests, args.concurrency
            )
            pictures = [r for r in seq_results if isinstance(r, SnapshotOk)]
            if not pictures:
                raise RuntimeError("no snapshot came back")
            typical = sorted(pictures, key=lambda r: len(r.jpeg))[len(pictures) // 2]
            echo = _EchoEdge(broker, typical.jpeg, typical.width, typical.height)
            try:
                echo_latencies, echo_results = _sequential(
                    client, ECHO_EDGE_ID, args.cameras, args.requests
                )
            finally:
                echo.close()
            print("TCP_NODELAY probe ...", file=sys.stderr, flush=True)
            nagle = _nagle_probe(len(typical.jpeg), min(args.requests, 100))
        finally:
            client.stop()
            edge.terminate()
            edge.wait(timeout=60)
    sequential = _summary(seq_latencies, seq_results)
    transport = _summary(echo_latencies, echo_results)
    return {
        "cameras": args.cameras,
        "clip": args.clip,
        "frame": f"{typical.width}x{typical.height}",
        "jpeg_bytes_median": len(typical.jpeg),
        "requests": args.requests,
        "paced": sequential,
        "back_to_back": _summary(b2b_latencies, b2b_results),
        "concurrent": {
            "concurrency": args.concurrency,
            **_summary(con_latencies, con_results),
            "requests_per_s": round(len(con_results) / con_elapsed, 1),
        },
        "transport": transport,
        "paced_p50_vs_transport": _ratio(sequential["p50_ms"], transport["p50_ms"]),
        "paced_p95_vs_transport": _ratio(sequential["p95_ms"], transport["p95_ms"]),
        "paced_mean_ms": round(statistics.fmean(seq_latencies) * 1e3, 1),
        "tcp_nodelay": nagle,
    }


def _ratio(value: float | None, reference: float | None) -> float | None:
    return round(value / reference, 2) if value and reference else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.edge_snapshot_request", description=__doc__
    )
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--clip", default="vtest_720p25.mp4")
    parser.add_argument(
        "--samples-dir",
        default=os.environ.get("GRIDWATCH_SAMPLES_DIR", str(Path("..") / "shared" / "video")),
    )
    parser.add_argument("--quick", action="store_true", help="2 cameras, 50 requests")
    args = parser.parse_args(argv)
    if args.quick:
        args.cameras, args.requests = 2, 50
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
