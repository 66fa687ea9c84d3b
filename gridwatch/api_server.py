"""Serving an ASGI app from a background thread, for the demo and the tests."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

# uvicorn binds in milliseconds; 10 s covers a cold import on a loaded machine.
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_GRACE_S = 2


class ApiServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        # Open streams (the console's live queue) get a moment on stop, then are closed.
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="api-server", daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
