"""How the edge's worker threads ask Linux to schedule them.

An edge box is a throughput job: each analysed frame has a budget of a second, so nothing gains
from a thread preempting another the instant it wakes. Under CFS/EEVDF a waking thread does
preempt, and with ~80 threads sharing one GIL that is costly: a camera woken by the
detector's result preempts the inference worker that woke it *while that worker still holds
the GIL*, then blocks on the GIL itself, and the core idles or switches again. ``SCHED_BATCH``
marks a thread as CPU-bound: it no longer preempts on wake-up (only the scheduler tick
rotates it), keeps its nice level, and needs no privilege. Measured on the 2-core box with
42 cameras (benchmarks/edge.py's runtime trial): context switches fell from ~5,900 to
~3,000 per second, decoding took 0.96 instead of 1.02 ms CPU per frame and inference 9.35
instead of 9.9 ms, and the trial went from failing (1.73-1.80 analysed fps) to passing
(2.0 fps, p95 0.83-0.86 s) twice in a row.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Literal

logger = logging.getLogger(__name__)

# batch: SCHED_BATCH, the default for the box's readers, cameras and inference workers;
# normal: SCHED_OTHER, for a box that shares its cores with latency-sensitive work.
CpuScheduling = Literal["batch", "normal"]
DEFAULT_CPU_SCHEDULING: CpuScheduling = "batch"


def schedule_this_thread(policy: CpuScheduling, *, niceness: int = 0) -> None:
    """Apply ``policy`` and, if positive, ``niceness`` to the calling thread only.

    Linux only (a thread is a task there); elsewhere, or where the call is refused (a
    container's seccomp profile), the thread keeps what it has and a debug line says why.
    """
    if hasattr(os, "sched_setscheduler"):
        linux_policy = os.SCHED_BATCH if policy == "batch" else os.SCHED_OTHER
        try:  # pid 0 is the calling thread, not the whole process
            os.sched_setscheduler(0, linux_policy, os.sched_param(0))
        except OSError as error:
            logger.debug("cannot set %s scheduling: %s", policy, error)
    if niceness > 0 and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError as error:
            logger.debug("cannot renice thread to %d: %s", niceness, error)
