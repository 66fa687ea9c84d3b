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


# How long one look at the port lasts before checking that the process is still alive.
PORT_PROBE_S = 0.2
# Lines of the broker's log quoted in the error when it does not start: its reason (a port in
# use, a bad option) is in the last few lines.
LOG_TAIL_LINES = 10
LOG_NAME = "mosquitto.log"
STDERR_NAME = "mosquitto.stderr"


class ManagedMosquitto:
    """Starts ``mosquitto`` on a free loopback port; ``with`` stops it and removes its folder.

    The folder (configuration, log, generated accounts) is made by ``start()`` and kept across
    ``kill()`` and ``start()`` again; ``close()`` (the end of the ``with`` block, also on an
    exception or Ctrl-C, and a failed start) stops the broker and deletes the folder.

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
        self._workdir: Path | None = None
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
    def workdir(self) -> Path | None:
        """The broker's folder while it exists (from ``start()`` until ``close()``)."""
        return self._workdir

    @property
    def log_path(self) -> Path:
        if self._workdir is None:
            raise RuntimeError("the broker has no folder (and no log) before start()")
        return self._workdir / LOG_NAME

    def _folder(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="gridwatch-mosquitto-"))
        return self._workdir

    def start(self) -> BrokerConfig:
        folder = self._folder()
        run_conf, log = folder / "run.conf", folder / LOG_NAME
        try:
            # A log file of its own: mosquitto flushes it line by line (not so a redirected
            # stdout).
            preamble = _run_as_current_user() + f"log_dest file {log}\n"
            run_conf.write_text(preamble + self._conf_text(folder), encoding="utf-8")
            # Errors before the log file is open (a port in use) go to stderr: kept beside it.
            with (folder / STDERR_NAME).open("ab") as stderr:
                self._process = subprocess.Popen(
                    [str(self._binary), "-c", str(run_conf)],
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
        except BaseException:
            self.close()
            raise
        if not self._wait_listening():
            log_tail = _tail(folder / STDERR_NAME, log)
            self.close()
            raise BrokerUnavailableError(
                f"mosquitto did not listen on 127.0.0.1:{self._port}; its log ends:\n{log_tail}"
            )
        return self.config

    def _wait_listening(self) -> bool:
        """True once the port accepts connections; False at once if mosquitto exited."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            if wait_for_port("127.0.0.1", self._port, PORT_PROBE_S):
                return True
        return False

    def _conf_text(self, folder: Path) -> str:
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
                security_dir=folder,
                plugin=plugin,
                data_dir=None,
                bind="127.0.0.1",
                port=self._port,
            )
            plan = AccountPlan(Topics(self._topic_prefix))
            self._accounts = init_broker(folder, BrokerInit(plan, layout, self._edge_ids))
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

    def close(self) -> None:
        """Stop the broker and delete its folder (it may hold generated passwords)."""
        try:
            self.stop()
        finally:
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    def __enter__(self) -> Self:
        self.start()  # a failed start has removed the folder already
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _tail(*logs: Path) -> str:
    """The last lines of the logs that exist, indented for an error message."""
    lines: list[str] = []
    for log in logs:
        try:
            text = log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines += text.splitlines()[-LOG_TAIL_LINES:]
    return "\n".join(f"  {line}" for line in lines) or "  (nothing logged)"
