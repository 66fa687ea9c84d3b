"""The clip worker: one thread per box that remuxes cut clips and files them in the spool.

Cameras' readers only hand cut clips over (``deliver`` never blocks); muxing (a few ms of CPU
per clip) and the fsyncs of filing happen here, at the readers' low priority. A clip that
cannot be muxed, or that finds the hand-over queue full, is filed as a notice instead, so its
alert's "pending" clip resolves at central either way.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from gridwatch_edge.clips.recorder import CutClip
from gridwatch_edge.clips.remux import RemuxError, remux
from gridwatch_edge.clips.spool import ClipSpool, ClipSpoolError
from gridwatch_edge.scheduling import CpuScheduling, schedule_this_thread

logger = logging.getLogger(__name__)

# Cut clips waiting to be muxed: each holds its packets (a few MB), and muxing one takes a few
# ms, so only a stalled disk fills this; then memory stays bounded and the clips are noticed.
QUEUE_CLIPS = 64
# Like the readers: muxing must never take a core from inference.
WORKER_NICENESS = 10
STOP_TIMEOUT_S = 10.0


class ClipWorker:
    def __init__(
        self,
        spool: ClipSpool,
        *,
        on_filed: Callable[[], None] = lambda: None,
        scheduling: CpuScheduling = "normal",
    ) -> None:
        self._spool = spool
        self._on_filed = on_filed
        self._scheduling = scheduling
        self._queue: queue.Queue[CutClip | None] = queue.Queue(maxsize=QUEUE_CLIPS)
        self._overflow: list[CutClip] = []
        self._overflow_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="clip-worker", daemon=True)
        self.filed = 0
        self.failed = 0

    def start(self) -> None:
        self._thread.start()

    def deliver(self, clip: CutClip) -> None:
        """Take a cut clip from a camera's reader; never blocks."""
        try:
            self._queue.put_nowait(clip)
        except queue.Full:
            with self._overflow_lock:  # noticed (without its packets) once the queue moves
                self._overflow.append(_without_packets(clip))

    def stop(self) -> None:
        """Mux and file what was handed over, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(STOP_TIMEOUT_S)

    def _run(self) -> None:
        schedule_this_thread(self._scheduling, niceness=WORKER_NICENESS)
        while (clip := self._queue.get()) is not None:
            self._handle(clip)
            with self._overflow_lock:
                overflow, self._overflow = self._overflow, []
            for lost in overflow:
                self._notice(lost, "dropped: the edge's clip worker fell behind")

    def _handle(self, clip: CutClip) -> None:
        try:
            remuxed = remux(clip, self._spool.part_path(clip.clip_id))
        except RemuxError as error:
            self.failed += 1
            logger.warning("camera %s: clip %s: %s", clip.camera_id, clip.clip_id, error)
            self._notice(clip, str(error))
            return
        try:
            self._spool.file_clip(clip.clip_id, clip.event_id, clip.camera_id, remuxed.info)
        except ClipSpoolError:
            self.failed += 1
            logger.exception("camera %s: clip %s could not be filed", clip.camera_id, clip.clip_id)
            self._notice(clip, "the edge could not write the clip")
            return
        self.filed += 1
        self._on_filed()

    def _notice(self, clip: CutClip, reason: str) -> None:
        try:
            self._spool.file_notice(clip.clip_id, clip.event_id, clip.camera_id, reason)
        except ClipSpoolError:
            logger.exception("clip %s: not even its notice could be filed", clip.clip_id)
            return
        self._on_filed()


def _without_packets(clip: CutClip) -> CutClip:
    return CutClip(
        clip.clip_id,
        clip.event_id,
        clip.camera_id,
        None,
        [],
        clip.event_s,
        clip.event_at,
        truncated=True,
    )
