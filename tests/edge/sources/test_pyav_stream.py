"""The PyAV backend on the real clips: exact replays, timestamps, and skipping frames nothing
refers to only while enough pictures remain for the analysis."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np
import pytest

from gridwatch_edge.config import DecodeSkip, SourceBackend
from gridwatch_edge.sources import SourceKind, VideoSource
from gridwatch_edge.sources.pyav_stream import PyAvStream, open_container

CLIP_720P_FRAMES = 1988  # vtest_720p25.mp4: 25 fps, GOP 50, B-pyramid
# Its frames with nal_ref_idc != 0 (I, P and reference B): what NONREF skipping still decodes.
CLIP_720P_REFERENCE_FRAMES = 1034


@pytest.fixture(scope="module")
def clip_720p(samples_dir: Path) -> Path:
    return samples_dir / "vtest_720p25.mp4"


def _stream(path: Path, skip_for_fps: float | None) -> PyAvStream:
    container = open_container(str(path), SourceKind.FILE, open_timeout_s=5, read_timeout_s=5)
    return PyAvStream(
        container, display_name=path.name, decoder_threads=1, skip_for_fps=skip_for_fps
    )


def _replay(path: Path, backend: SourceBackend) -> list[tuple[int, float, str]]:
    source = VideoSource(str(path), analysis_fps=5, realtime=False, backend=backend)
    source.open()
    frames = []
    while (frame := source.read()) is not None:
        digest = hashlib.sha1(frame.image.tobytes()).hexdigest()
        frames.append((frame.index, frame.media_time_s, digest))
    source.close()
    return frames


def test_replay_analyses_the_same_frames_and_pixels_as_opencv(samples_dir: Path) -> None:
    # B-frames, reordering and pts timing: replays must not change what the rules see.
    clip = samples_dir / "vtest_h264.mp4"
    frames = _replay(clip, "pyav")
    assert len(frames) == 398
    assert frames == _replay(clip, "opencv")


def test_media_time_comes_from_the_timestamps(clip_720p: Path) -> None:
    stream = _stream(clip_720p, skip_for_fps=None)
    try:
        places = [stream.grab() for _ in range(60)]
    finally:
        stream.close()
    assert stream.fps == 25.0
    # Pictures leave the decoder in display order although B-frames arrive out of order.
    assert [p.index for p in places if p] == list(range(60))
    assert [p.media_time_s for p in places if p] == pytest.approx([i / 25 for i in range(60)])


def _decode_all(stream: PyAvStream) -> tuple[int, list[int]]:
    indexes = []
    while (place := stream.grab()) is not None:
        indexes.append(place.index)
    stream.close()
    return stream.received, indexes


def test_skipping_keeps_exact_reference_pictures(clip_720p: Path) -> None:
    received, indexes = _decode_all(_stream(clip_720p, skip_for_fps=25 / 12))
    assert received == CLIP_720P_FRAMES
    assert len(indexes) == CLIP_720P_REFERENCE_FRAMES
    assert indexes == sorted(indexes)
    assert max(b - a for a, b in itertools.pairwise(indexes)) <= 4  # 0.16 s


def test_skipped_pictures_are_identical_to_fully_decoded_ones(clip_720p: Path) -> None:
    full, skipping = _stream(clip_720p, None), _stream(clip_720p, 25 / 12)
    try:
        reference = {}
        while (place := full.grab()) is not None and place.index < 120:
            reference[place.index] = full.retrieve().bgr()
        compared = 0
        while (place := skipping.grab()) is not None and place.index < 120:
            assert (skipping.retrieve().bgr() == reference[place.index]).all()
            compared += 1
    finally:
        full.close()
        skipping.close()
    assert 0 < compared < 120


def test_too_sparse_after_skipping_decodes_everything(clip_720p: Path) -> None:
    # 10 analysed fps need 15 decoded; skipping leaves ~13 of 25: the guard turns it off.
    stream = _stream(clip_720p, skip_for_fps=10)
    received, indexes = _decode_all(stream)
    assert not stream.skipping
    assert received == CLIP_720P_FRAMES
    skipped = received - len(indexes)
    assert 0 < skipped < 60  # only in the first window of two seconds


def test_a_stream_without_b_frames_loses_nothing(vtest_clip: Path) -> None:
    stream = _stream(vtest_clip, skip_for_fps=5)
    received, indexes = _decode_all(stream)
    assert stream.skipping  # nothing to skip, so nothing to stop
    assert indexes == list(range(received))


@pytest.mark.parametrize(
    ("backend", "decode_skip", "realtime", "expected"),
    [
        ("pyav", "auto", True, (True, False)),  # (skips frames, deblocks)
        ("pyav", "exact", True, (True, True)),
        ("pyav", "auto", False, (False, True)),  # replays as fast as possible stay exact
        ("pyav", "none", True, (False, True)),
        ("opencv", "auto", True, (False, True)),
    ],
)
def test_when_frames_may_be_skipped(
    vtest_clip: Path,
    backend: SourceBackend,
    decode_skip: DecodeSkip,
    realtime: bool,
    expected: tuple[bool, bool],
) -> None:
    source = VideoSource(
        str(vtest_clip),
        analysis_fps=5,
        realtime=realtime,
        backend=backend,
        decode_skip=decode_skip,
    )
    assert (source.skips_frames, source.deblocks) == expected


def test_without_deblocking_pictures_stay_close(clip_720p: Path) -> None:
    exact = _stream(clip_720p, skip_for_fps=None)
    container = open_container(str(clip_720p), SourceKind.FILE, open_timeout_s=5, read_timeout_s=5)
    fast = PyAvStream(
        container, display_name="fast", decoder_threads=1, skip_for_fps=None, deblock=False
    )
    try:
        for _ in range(49):  # to the end of the first GOP, where drift is largest
            exact.grab()
            fast.grab()
        difference = np.abs(exact.retrieve().bgr().astype(np.int16) - fast.retrieve().bgr())
    finally:
        exact.close()
        fast.close()
    # Measured 1.15 of 255 levels here; 0.56 on average over the clip.
    assert 0 < float(difference.mean()) < 3.0
