"""Central worker processes (``gridwatch central serve``) and an edge publishing through its
outbox, for the dead-worker fault test and ``benchmarks/faults.py``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import yaml

from gridwatch.commands.central import serve_argv
from gridwatch.mosquitto import free_port
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import OutboxConfig
from gridwatch_edge.outbox import OutboxStore, open_outbox
from gridwatch_edge.publisher import MqttPublisher
from tests.central.helpers import EXAMPLE_GRID, EXAMPLE_ROUTING, wait_until

EDGE_ID = "edge-01"
# start() migrates, loads the grid and subscribes; a cold Python start on a loaded box is slow.
WORKER_START_TIMEOUT_S = 90.0


class Worker:
    """One ``gridwatch central serve`` process in a share group, with its own HTTP port."""

    def __init__(
        self,
        name: str,
        database_url: str,
        broker: BrokerConfig,
        workdir: Path,
        *,
        session_expiry_s: int | None,
    ) -> None:
        self.name = name
        self.port = free_port()
        document: dict[str, Any] = {
            "database_url": database_url,
            "broker": broker.model_dump(mode="json"),
            "client_id": f"central-{name}-{uuid.uuid4().hex[:8]}",
            "grid_file": str(EXAMPLE_GRID),
            "routing_file": str(EXAMPLE_ROUTING),
            "snapshot_dir": str(workdir / f"snapshots-{name}"),
            "http": {"host": "127.0.0.1", "port": self.port},
            "auth": {"jwt_secret": "fault-test-" + uuid.uuid4().hex},
        }
        if session_expiry_s is not None:  # None: the shipped default
            document["session_expiry_s"] = session_expiry_s
        self._config = workdir / f"central-{name}.yaml"
        self._config.write_text(yaml.safe_dump(document), encoding="utf-8")
        self._log = workdir / f"central-{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                serve_argv(self._config),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )
        wait_until(self._ready, timeout_s=WORKER_START_TIMEOUT_S)

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a crash would: no disconnect, no session cleanup."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def stored(self) -> int:
        """Alerts this process stored, from its Prometheus metrics."""
        text = self._get("/metrics")
        for line in text.splitlines():
            if line.startswith("gridwatch_ingest_stored_total "):
                return int(float(line.split()[1]))
        return 0

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])

    def _ready(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited:\n{self.log_tail()}")
        try:
            return bool(json.loads(self._get("/readyz"))["ready"])
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def _get(self, path: str) -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as reply:
                return str(reply.read().decode())
        except urllib.error.HTTPError as error:  # 503 still carries the JSON body
            return str(error.read().decode())


def edge_publisher(
    broker: BrokerConfig, outbox_path: Path, *, ack_timeout_s: float, max_resend_s: float
) -> tuple[MqttPublisher, OutboxStore]:
    """The real edge delivery path: the durable outbox and its resends, without cameras."""
    settings = OutboxConfig(
        path=outbox_path, ack_timeout_s=ack_timeout_s, max_resend_interval_s=max_resend_s
    )
    outbox = open_outbox(settings)
    publisher = MqttPublisher(
        broker, EDGE_ID, outbox, settings=settings, max_payload_bytes=256 * 1024
    )
    publisher.start()
    if not publisher.wait_connected(10):
        raise AssertionError(f"edge publisher did not connect to {broker.display()}")
    return publisher, outbox
