"""A private PostgreSQL server as a subprocess, for tests and benchmarks that stop databases.

The shared test server must never be stopped (others use it), so a fault test that takes the
database away runs its own: ``initdb`` into a temporary directory, ``pg_ctl`` to start and stop
it on a free loopback port. PostgreSQL refuses to run as root; as root (CI) the cluster is
created and run as the ``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from gridwatch.mosquitto import free_port, wait_for_port

# initdb of an empty cluster takes 1-3 s; 60 s covers a loaded 2-core box.
INITDB_TIMEOUT_S = 60.0
STARTUP_TIMEOUT_S = 30.0
# The system user PostgreSQL runs as when we are root.
POSTGRES_USER = "postgres"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries, or the server did not start."""


def find_postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb`` and ``pg_ctl``."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise PostgresUnavailableError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install"
            " them (Debian/Ubuntu: 'sudo apt-get install postgresql')"
        )
    return versions[-1].parent


class ManagedPostgres:
    """A throw-away PostgreSQL cluster on a free loopback port; ``with`` removes it again."""

    def __init__(self) -> None:
        self._bin = find_postgres_bin()
        self._port = free_port()
        self._root = Path(tempfile.mkdtemp(prefix="gridwatch-postgres-"))
        self._data = self._root / "data"
        self._log = self._root / "server.log"
        self._as_user = POSTGRES_USER if os.geteuid() == 0 else None
        self._running = False

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's ``postgres`` database (trust authentication)."""
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self._port}/postgres"

    @property
    def port(self) -> int:
        return self._port

    @property
    def log_path(self) -> Path:
        return self._log

    def init(self) -> None:
        if self._as_user is not None:
            entry = pwd.getpwnam(self._as_user)
            os.chown(self._root, entry.pw_uid, entry.pw_gid)
        self._run(
            [
                str(self._bin / "initdb"),
                "--pgdata",
                str(self._data),
                "--username",
                POSTGRES_USER,
                "--auth",
                "trust",
                "--no-sync",  # a throw-away cluster: no fsync of the new files
            ],
            timeout_s=INITDB_TIMEOUT_S,
        )

    def start(self) -> None:
        options = (
            f"-p {self._port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self._root}"
            # Test data only: no fsync, so a loaded box does not stall on the disk.
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            [
                str(self._bin / "pg_ctl"),
                "--pgdata",
                str(self._data),
                "--log",
                str(self._log),
                "--options",
                options,
                "--wait",
                f"--timeout={int(STARTUP_TIMEOUT_S)}",
                "start",
            ],
            timeout_s=STARTUP_TIMEOUT_S + 5,
        )
        if not wait_for_port("127.0.0.1", self._port, STARTUP_TIMEOUT_S):
            raise PostgresUnavailableError(f"PostgreSQL did not listen; see {self._log}")
        self._running = True

    def stop(self, mode: str = "fast") -> None:
        """``fast`` disconnects every client at once; ``immediate`` is a crash."""
        if not self._running:
            return
        self._run(
            [str(self._bin / "pg_ctl"), "--pgdata", str(self._data), "--mode", mode, "stop"],
            timeout_s=STARTUP_TIMEOUT_S,
        )
        self._running = False

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self._root, ignore_errors=True)

    def _run(self, command: Sequence[str], *, timeout_s: float) -> None:
        if self._as_user is not None:
            command = ["runuser", "-u", self._as_user, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if result.returncode != 0:
            raise PostgresUnavailableError(
                f"{Path(command[-1]).name if command else ''} failed ({result.returncode}):"
                f" {result.stderr.strip() or result.stdout.strip()}; see {self._log}"
            )

    def __enter__(self) -> Self:
        self.init()
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()
