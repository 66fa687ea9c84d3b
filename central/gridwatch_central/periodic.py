"""A background thread that runs one job every few seconds until stopped.

Central's periodic jobs (the deadline scheduler's 督办 alarms, the sensors' heartbeat
watchdog) share the same needs: a daemon thread, a stop that does not wait out the interval,
and a loop that outlives a failed round (the database away for a while): the next round
retries, and the failure is logged with its traceback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

# How long stop() waits for the round in hand; a round is one short transaction.
STOP_TIMEOUT_S = 10.0


class PeriodicTask:
    def __init__(
        self,
        name: str,
        interval_s: float,
        job: Callable[[], object],
        *,
        run_at_start: bool = True,
    ) -> None:
        self._name = name
        self._interval_s = interval_s
        self._job = job
        self._run_at_start = run_at_start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_S)
            self._thread = None

    def _run(self) -> None:
        if not self._run_at_start and self._stop.wait(self._interval_s):
            return
        while not self._stop.is_set():
            try:
                self._job()
            except Exception:  # the loop must outlive one bad round; the next one retries
                log.exception("%s failed; retrying in %g s", self._name, self._interval_s)
            self._stop.wait(self._interval_s)
