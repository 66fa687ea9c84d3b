"""Process-wide settings of a central server process, applied once by its entry point.

Only the process entry points call this (``serve``, the ingest benchmark's worker), never the
runtime itself: tests start many runtimes in one process and must keep Python's defaults.
"""

from __future__ import annotations

import gc

# Ingest allocates a few dozen container objects per alert (the decoded model, its row, the
# batch lists) and keeps up to two batches alive until they commit. With the default threshold
# (700) the collector ran every few alerts and promoted in-flight batches to the oldest
# generation, whose collections then walked every object in the process: measured on a 2-core
# machine, decoding an alert cost ~160 µs with the default settings and ~55 µs without them.
# 50 000 new objects between young collections (~1000 alerts) keeps collections rare and each
# still short (a few milliseconds); the older generations keep their default ratios.
YOUNG_GENERATION_THRESHOLD = 50_000
MIDDLE_GENERATION_THRESHOLD = 10
OLD_GENERATION_THRESHOLD = 10


def tune_garbage_collector() -> None:
    """Call once startup is done: freeze what startup built, then collect rarely.

    ``gc.freeze`` moves every object alive now (configuration, grid index, SQLAlchemy metadata,
    pydantic validators) to a permanent generation that collections no longer walk; they live
    as long as the process anyway.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(
        YOUNG_GENERATION_THRESHOLD, MIDDLE_GENERATION_THRESHOLD, OLD_GENERATION_THRESHOLD
    )
