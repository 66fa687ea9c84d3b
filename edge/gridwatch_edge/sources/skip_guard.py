"""When skipping non-reference frames is worth it, and when it would starve the analysis.

H.264/HEVC streams with B-frames carry frames nothing else refers to; the decoder can drop
them unparsed (FFmpeg's ``skip_frame = NONREF``) and every remaining picture is still exact.
On the 720p sample (GOP 50, B-pyramid) that leaves 13 of 25 frames and cuts decoding time by a
quarter. Dropping *all* B-frames (``BIDIR``) would be faster still but corrupts the P-frames
that refer to reference B-frames (measured: 477 of 557 pictures differ), so it is not offered.

A camera sending IPPP has nothing to skip (no harm done); a stream whose remaining pictures come
too sparse for the analysis rate must decode everything, which the guard detects at run time.
"""

from __future__ import annotations

# Remaining pictures must come at least this much faster than the analysis takes them, so each
# analysis slot still finds a picture close to its due time (at 1.5x the gap between decoded
# pictures is at most two thirds of the analysis period on average).
MIN_HEADROOM = 1.5
# Judge over about two seconds of stream: long enough to span the B-frame pattern of a GOP,
# short enough that a starved analysis recovers quickly.
WINDOW_S = 2.0
MIN_WINDOW_FRAMES = 10


class SkipGuard:
    """Counts received frames and decoded pictures; says when skipping must stop for good."""

    def __init__(self, *, stream_fps: float, analysis_fps: float) -> None:
        self._stream_fps = stream_fps
        self._needed_fps = MIN_HEADROOM * analysis_fps
        self._window = max(round(WINDOW_S * stream_fps), MIN_WINDOW_FRAMES)
        self._received = 0
        self._pictures = 0
        self.skipping = True

    @property
    def decoded_fps(self) -> float:
        """Pictures per second of stream in the current window (the whole rate if empty)."""
        if self._received == 0:
            return self._stream_fps
        return self._stream_fps * self._pictures / self._received

    def observe(self, pictures: int) -> bool:
        """Count one received frame that yielded ``pictures``; True while skipping may go on."""
        if not self.skipping:
            return False
        self._received += 1
        self._pictures += pictures
        if self._received >= self._window:
            if self.decoded_fps < self._needed_fps:
                self.skipping = False  # for good: the counts stay to tell why
                return False
            self._received = self._pictures = 0
        return True
