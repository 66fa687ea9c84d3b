"""A private Mosquitto broker as a subprocess, for the demo and for tests that kill brokers.

We run Debian's real ``mosquitto`` binary rather than a Python broker: the product relies on
MQTT 5 shared subscriptions and QoS 1 semantics that only a real broker gives.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from gridwatch_contract.broker import BrokerConfig

# Mosquitto binds within a few milliseconds; 10 s covers a cold start on a loaded 2-core box.
STARTUP_TIMEOUT_S = 10.0
SEARCH_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto")


class BrokerUnavailableError(RuntimeError):
    """No mosquitto binary, or it did not start."""


def find_mosquitto() -> Path:
    found = shutil.which("mosquitto")
    candidates = [found] if found else []
    candidates += [path for path in SEARCH_PATHS if Path(path).exists()]
    if not candidates:
        raise BrokerUnavailableError(
            "the 'mosquitto' broker binary was not found; install it (Debian/Ubuntu:"
            " 'sudo apt-get install mosquitto') or point GRIDWATCH_MQTT_URL at a running broker"
        )
    return Path(candidates[0])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
        except OSError:
            time.sleep(0.05)
        else:
            return True
    return False


class ManagedMosquitto:
    """Starts ``mosquitto`` on a free loopback port; ``with`` stops it again."""

    def __init__(self, *, port: int | None = None, topic_prefix: str = "gridwatch") -> None:
        self._binary = find_mosquitto()
        self._port = port or free_port()
        self._topic_prefix = topic_prefix
        self._workdir = Path(tempfile.mkdtemp(prefix="gridwatch-mosquitto-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> BrokerConfig:
        return BrokerConfig(host="127.0.0.1", port=self._port, topic_prefix=self._topic_prefix)

    @property
    def log_path(self) -> Path:
        return self._workdir / "mosquitto.log"

    def start(self) -> BrokerConfig:
        conf = self._workdir / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    f"listener {self._port} 127.0.0.1",
                    "allow_anonymous true",
                    # Queued QoS 1 messages of disconnected persistent sessions: no cap, the
                    # edge outbox bounds them.
                    "max_queued_messages 0",
                    "persistence false",
                    f"log_dest file {self.log_path}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        self._process = subprocess.Popen(
            [str(self._binary), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port("127.0.0.1", self._port, STARTUP_TIMEOUT_S):
            self.stop()
            raise BrokerUnavailableError(
                f"mosquitto did not listen on 127.0.0.1:{self._port}; see {self.log_path}"
            )
        return self.config

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean disconnects, no persistence flush."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
