"""API latency under 50 concurrent clients on the alert queue and the case list.

``python -m benchmarks.api_latency [--clients 50] [--requests 2000] [--alerts 5000] [--quick]``

Seeds a fresh PostgreSQL database with realistic alerts (10 per event, so one case per 10
alerts) across the example grid, then runs ``gridwatch central serve`` (real uvicorn, own
process, loopback) and has ``--clients`` concurrent httpx clients, logged in as a street-scoped
operator, page through ``GET /api/v1/alerts`` and ``GET /api/v1/cases`` until ``--requests``
requests were answered. Reports p50/p95/p99 per endpoint; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml

from benchmarks.central import (
    ALERTS_PER_EVENT,
    DEFAULT_POSTGRES,
    GRID_FILE,
    _alert,
    _create_database,
    _drop_database,
    _snapshot_jpeg,
)
from gridwatch.commands.central import serve_argv
from gridwatch.mosquitto import ManagedMosquitto, free_port, wait_for_port
from gridwatch_central.auth.models import UserIn
from gridwatch_central.auth.scope import Role
from gridwatch_central.config import AuthConfig, BootstrapAdmin, CentralConfig
from gridwatch_central.ingest.service import IncomingMessage
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_alert

# Street 黄水镇 of the example grid: the operator sees about half of the seeded alerts.
OPERATOR_SCOPE = ["500240101"]
OPERATOR = ("bench-operator", "bench-operator-password")
PATHS = ("/api/v1/alerts", "/api/v1/cases")
PAGE = 50
# Seeding batch: the ingest path itself, in transactions of this many alerts.
SEED_BATCH = 500
SERVER_START_TIMEOUT_S = 60.0


def _config(database_url: str, broker: Any, workdir: Path, secret: str) -> CentralConfig:
    return CentralConfig(
        database_url=database_url,
        broker=broker,
        share_group="api-bench",
        client_id=f"api-bench-{uuid.uuid4().hex[:8]}",
        grid_file=GRID_FILE,
        snapshot_dir=workdir / "snapshots",
        auth=AuthConfig(
            jwt_secret=secret,
            bootstrap_admin=BootstrapAdmin(password=secrets.token_urlsafe(12)),
        ),
        snapshot_retention_days=None,
    )


def _seed(config: CentralConfig, alerts: int) -> None:
    runtime = CentralRuntime(config)
    runtime.start()
    try:
        jpeg = _snapshot_jpeg()
        topic = config.broker.topics.alert("edge-01", "cam-01", "crowd")
        batch: list[IncomingMessage] = []
        event_id = uuid.uuid4()
        for index in range(alerts):
            if index % ALERTS_PER_EVENT == 0:
                event_id = uuid.uuid4()
            payload = encode_alert(_alert(index, event_id, jpeg, datetime.now(UTC)))
            batch.append(IncomingMessage(topic, payload, datetime.now(UTC)))
            if len(batch) == SEED_BATCH:
                runtime.ingest.handle_batch(batch)
                batch = []
        if batch:
            runtime.ingest.handle_batch(batch)
        spec = UserIn(
            username=OPERATOR[0],
            password=OPERATOR[1],
            role=Role.OPERATOR,
            grid_prefixes=OPERATOR_SCOPE,
        )
        runtime.auth.create_user(spec)
    finally:
        runtime.stop()


def _write_config(config: CentralConfig, path: Path, port: int, secret: str) -> None:
    document = json.loads(config.model_dump_json())
    document["http"] = {"host": "127.0.0.1", "port": port}
    document["auth"]["jwt_secret"] = secret
    document["auth"]["bootstrap_admin"]["password"] = None
    document["client_id"] = f"api-bench-serve-{uuid.uuid4().hex[:8]}"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


async def _client(
    base: str, token: str, budget: list[int], latencies: dict[str, list[float]], errors: list[int]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while budget[0] > 0:
            budget[0] -= 1
            path = rng.choice(PATHS)
            params = {"limit": PAGE, "offset": PAGE * rng.randrange(0, 10)}
            started = time.perf_counter()
            response = await client.get(path, params=params)
            latencies[path].append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(response.status_code)


async def _load(
    base: str, clients: int, requests: int
) -> tuple[dict[str, list[float]], list[int], float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": OPERATOR[0], "password": OPERATOR[1]}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
    latencies: dict[str, list[float]] = {path: [] for path in PATHS}
    errors: list[int] = []
    budget = [requests]
    started = time.perf_counter()
    await asyncio.gather(*(_client(base, token, budget, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


def _ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1e3, 1) if values else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="gridwatch-api-bench-"))
    database_url, database_name = _create_database(args.postgres_url)
    secret = secrets.token_urlsafe(32)
    server: subprocess.Popen[bytes] | None = None
    try:
        with ManagedMosquitto(topic_prefix="apibench") as mosquitto:
            config = _config(database_url, mosquitto.config, workdir, secret)
            print(f"seeding {args.alerts} alerts ...", file=sys.stderr, flush=True)
            _seed(config, args.alerts)
            port = free_port()
            config_path = workdir / "central.yaml"
            _write_config(config, config_path, port, secret)
            server = subprocess.Popen(
                serve_argv(config_path),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if not wait_for_port("127.0.0.1", port, SERVER_START_TIMEOUT_S):
                raise RuntimeError("gridwatch central serve did not listen in time")
            base = f"http://127.0.0.1:{port}"
            print(
                f"{args.clients} clients, {args.requests} requests ...", file=sys.stderr, flush=True
            )
            latencies, errors, elapsed = asyncio.run(_load(base, args.clients, args.requests))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _drop_database(args.postgres_url, database_name)
        shutil.rmtree(workdir, ignore_errors=True)
    every = [value for values in latencies.values() for value in values]
    return {
        "clients": args.clients,
        "requests": len(every),
        "errors": len(errors),
        "seeded_alerts": args.alerts,
        "page_size": PAGE,
        "requests_per_s": round(len(every) / elapsed, 1),
        "alerts_p50_ms": _ms(latencies[PATHS[0]], 50),
        "alerts_p95_ms": _ms(latencies[PATHS[0]], 95),
        "cases_p50_ms": _ms(latencies[PATHS[1]], 50),
        "cases_p95_ms": _ms(latencies[PATHS[1]], 95),
        "p95_ms": _ms(every, 95),
        "p99_ms": _ms(every, 99),
        "database": "postgresql",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_latency", description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="total, across all clients")
    parser.add_argument("--alerts", type=int, default=5000, help="alerts seeded before the run")
    parser.add_argument("--quick", action="store_true", help="500 alerts, 300 requests")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("GRIDWATCH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.alerts, args.requests = 500, 300
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
