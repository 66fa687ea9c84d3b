"""A private Mosquitto broker as a subprocess, for the demo and for tests that kill brokers.

We run Debian's real ``mosquitto`` binary rather than a Python broker: the product relies on
MQTT 5 shared subscriptions and QoS 1 semantics that only a real broker gives.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from pydantic import SecretStr

from gridwatch_central.broker_accounts import (
    AccountPlan,
    BrokerInit,
    BrokerLayout,
    Credentials,
    InitResult,
    broker_packet_limit,
    find_dynsec_plugin,
    init_broker,
)
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.topics import Topics

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


def _run_as_current_user() -> str:
    """Started as root, mosquitto switches to the ``mosquitto`` user, which may not enter our
    private temporary folder; ``user`` keeps the current one (ignored when not root)."""
    if os.geteuid() != 0:
        return ""
    return f"# started by root: stay root to reach the private files\nuser {getpass.getuser()}\n"


class ManagedMosquitto:
    """Starts ``mosquitto`` on a free loopback port; ``with`` stops it again.

    Three kinds: anonymous (tests that only need a broker they may kill), ``secure`` (the
    demo: the configuration ``gridwatch broker init`` writes, with accounts for central and
    ``edge_ids``) and ``conf`` (a configuration file written beforehand, listening on ``port``).
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        topic_prefix: str = "gridwatch",
        secure: bool = False,
        edge_ids: Sequence[str] = (),
        conf: Path | None = None,
        tcp_nodelay: bool = True,
    ) -> None:
        if conf is not None and port is None:
            raise ValueError("a prepared configuration needs the port it listens on")
        self._binary = find_mosquitto()
        self._tcp_nodelay = tcp_nodelay
        self._port = port or free_port()
        self._topic_prefix = topic_prefix
        self._secure = secure
        self._edge_ids = tuple(edge_ids)
        self._conf = conf
        self._workdir = Path(tempfile.mkdtemp(prefix="gridwatch-mosquitto-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._accounts: InitResult | None = None

    @property
    def config(self) -> BrokerConfig:
        """The address, without credentials (all an anonymous broker needs)."""
        return BrokerConfig(host="127.0.0.1", port=self._port, topic_prefix=self._topic_prefix)

    @property
    def accounts(self) -> InitResult:
        """The generated accounts of a ``secure`` broker (after ``start``)."""
        if self._accounts is None:
            raise RuntimeError("only a started secure broker has accounts")
        return self._accounts

    def config_for(self, credentials: Credentials) -> BrokerConfig:
        return self.config.model_copy(
            update={"username": credentials.username, "password": SecretStr(credentials.password)}
        )

    @property
    def log_path(self) -> Path:
        return self._workdir / "mosquitto.log"

    def start(self) -> BrokerConfig:
        run_conf = self._workdir / "run.conf"
        # A log file of its own: mosquitto flushes it line by line (not so a redirected stdout).
        preamble = _run_as_current_user() + f"log_dest file {self.log_path}\n"
        run_conf.write_text(preamble + self._conf_text(), encoding="utf-8")
        self._process = subprocess.Popen(
            [str(self._binary), "-c", str(run_conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port("127.0.0.1", self._port, STARTUP_TIMEOUT_S):
            self.stop()
            raise BrokerUnavailableError(
                f"mosquitto did not listen on 127.0.0.1:{self._port}; see {self.log_path}"
            )
        return self.config

    def _conf_text(self) -> str:
        if self._conf is not None:
            return self._conf.read_text(encoding="utf-8")
        if self._secure:
            plugin = find_dynsec_plugin()
            if not plugin.exists():
                raise BrokerUnavailableError(
                    "mosquitto's dynamic security plugin (mosquitto_dynamic_security.so, part of"
                    " mosquitto 2.0 and later) was not found; install a current mosquitto or"
                    " point GRIDWATCH_MQTT_URL at a running broker"
                )
            layout = BrokerLayout(
                security_dir=self._workdir,
                plugin=plugin,
                data_dir=None,
                bind="127.0.0.1",
                port=self._port,
            )
            plan = AccountPlan(Topics(self._topic_prefix))
            self._accounts = init_broker(self._workdir, BrokerInit(plan, layout, self._edge_ids))
            return self._accounts.conf_file.read_text(encoding="utf-8")
        return "\n".join(
            [
                f"listener {self._port} 127.0.0.1",
                "allow_anonymous true",
                # Queued QoS 1 messages of disconnected persistent sessions: no cap, the
                # edge outbox bounds them.
                "max_queued_messages 0",
                # As every shipped broker: central's largest alert plus topic and headers.
                f"max_packet_size {broker_packet_limit()}",
                # As every shipped broker; False only to measure what Nagle's delay costs.
                f"set_tcp_nodelay {str(self._tcp_nodelay).lower()}",
                "persistence false",
                "log_dest stdout",
                "",
            ]
        )

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
        # The folder may hold generated passwords; nothing in it outlives the broker.
        shutil.rmtree(self._workdir, ignore_errors=True)
