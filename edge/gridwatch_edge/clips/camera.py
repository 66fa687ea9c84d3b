"""A camera's clip side as its pipeline sees it: where packets come from and ``on_event``."""

from __future__ import annotations

import uuid

from gridwatch_edge.clips.record_stream import RecordStream
from gridwatch_edge.clips.recorder import CameraClipRecorder
from gridwatch_edge.clips.ring import RingUsage
from gridwatch_edge.events import Event
from gridwatch_edge.sources.decoding import PacketTap
from gridwatch_edge.sources.frame import Frame

# The reader stops within one FFmpeg read timeout at worst.
RECORD_STOP_TIMEOUT_S = 10.0


class CameraClips:
    """The recorder of one camera, fed by the camera's own reader or by its ``record_url``."""

    def __init__(
        self,
        recorder: CameraClipRecorder,
        *,
        record_stream: RecordStream | None = None,
        problem: str | None = None,
    ) -> None:
        self._recorder = recorder
        self._record_stream = record_stream
        if problem is not None:
            recorder.problem = problem

    @property
    def reader_tap(self) -> PacketTap | None:
        """What the camera's reader feeds: the recorder, unless a record stream does."""
        return self._recorder if self._record_stream is None else None

    @property
    def problem(self) -> str | None:
        """Why this camera records no clips (reported once in the log), or None."""
        return self._recorder.problem

    def start(self) -> None:
        if self._record_stream is not None:
            self._record_stream.start()

    def stop(self) -> None:
        if self._record_stream is not None:
            self._record_stream.stop(RECORD_STOP_TIMEOUT_S)

    def on_event(self, event: Event, frame: Frame) -> uuid.UUID | None:
        return self._recorder.on_event(event, frame)

    def usage(self) -> RingUsage:
        return self._recorder.usage()
