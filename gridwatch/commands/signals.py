"""Turning SIGINT/SIGTERM into a stop event that every loop polls."""

from __future__ import annotations

import logging
import signal
import threading


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT/SIGTERM, so every loop can finish its work and exit cleanly."""
    stop = threading.Event()

    def _request_stop(signum: int, _frame: object) -> None:
        logging.getLogger("gridwatch").warning("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    return stop
