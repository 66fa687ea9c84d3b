"""A real RTSP camera for tests: GStreamer's RTSP server (tools/rtsp_server.py) as a subprocess
that can be stopped and started again on the same port."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-gi lives
STOP_TIMEOUT_S = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RtspServer:
    def __init__(self, clip: Path, *, port: int | None = None, mount: str = "/cam") -> None:
        self.clip = clip
        self.port = port or free_port()
        self.mount = mount
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}{self.mount}"

    def start(self) -> str:
        command = [
            SYSTEM_PYTHON,
            str(REPO_ROOT / "tools" / "rtsp_server.py"),
            "--port",
            str(self.port),
            "--clip",
            str(self.clip),
            "--mount",
            self.mount,
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        line = process.stdout.readline().strip()  # blocks until READY or the server exits
        if not line.startswith("READY "):
            process.kill()
            _, errors = process.communicate(timeout=STOP_TIMEOUT_S)
            raise RuntimeError(f"RTSP server did not start: {line!r} {errors}")
        self._process = process
        return self.url

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
