"""Running one piece of work per slot in parallel threads, as the decode probes do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def run_slots(work: Callable[[int], None], slots: int) -> float:
    """Call ``work(0)`` ... ``work(slots - 1)`` each in its own thread; seconds until all ended."""
    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(slots)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started
