"""The edge's clip spool: durable across restarts, bounded on disk, and honest about drops."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from gridwatch_contract.clip_messages import ClipInfo
from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.clips.remux import remux
from gridwatch_edge.clips.spool import ClipSpool
from tests.edge.clips.helpers import H264_CLIP, replay_with_event

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def real_clip(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ClipInfo]:
    """One real MP4 (about 1.4 MB) and its info, cut from the sample footage."""
    folder = tmp_path_factory.mktemp("cut")
    config = ClipsConfig(pre_s=2.0, post_s=6.0, path=folder)
    (cut,) = replay_with_event(samples_dir / H264_CLIP, config, event_at_s=20.0).clips
    path = folder / "clip.mp4"
    return path, remux(cut, path).info


def _file(spool: ClipSpool, real_clip: tuple[Path, ClipInfo]) -> uuid.UUID:
    path, info = real_clip
    clip_id = uuid.uuid4()
    spool.part_path(clip_id).write_bytes(path.read_bytes())
    spool.file_clip(clip_id, uuid.uuid4(), "cam", info)
    return clip_id


def test_filed_clips_survive_a_restart_and_resume_at_the_confirmed_offset(
    tmp_path: Path, real_clip: tuple[Path, ClipInfo]
) -> None:
    config = ClipsConfig(path=tmp_path / "spool")
    spool = ClipSpool(config)
    clip_id = _file(spool, real_clip)
    spool.confirm(clip_id, 250_000)
    spool.close()

    again = ClipSpool(config)
    head = again.head()
    assert head is not None
    assert (head.clip_id, head.next_offset) == (clip_id, 250_000)
    assert again.read(head, 0, 16) == real_clip[0].read_bytes()[:16]
    assert again.settle(clip_id, "stored")
    assert not again.settle(clip_id, "stored")  # a repeated ack changes nothing
    assert again.head() is None
    assert not list((tmp_path / "spool").glob("*.mp4"))  # released only now, file gone
    again.close()


def test_over_the_budget_the_oldest_clip_becomes_a_counted_notice(
    tmp_path: Path, real_clip: tuple[Path, ClipInfo]
) -> None:
    size = real_clip[0].stat().st_size
    # Room for two clips, not three: below the configuration's 16 MiB floor (model_copy does
    # not validate) so that the test writes three small files, not a dozen.
    config = ClipsConfig(path=tmp_path / "spool", clip_max_bytes=MIB)
    spool = ClipSpool(config.model_copy(update={"max_disk_bytes": 2 * size + size // 2}))
    first, second, third = (_file(spool, real_clip) for _ in range(3))
    counts = spool.counts()
    assert counts.dropped == {"overflow": 1}
    assert (counts.pending_clips, counts.pending_notices) == (2, 1)
    assert counts.pending_bytes == 2 * size
    head = spool.head()
    assert head is not None
    assert head.clip_id == first
    assert head.is_notice  # central is told the first clip will never come
    assert head.reason is not None
    assert "budget" in head.reason
    states = spool.states()
    assert states[second] == ("clip", "pending")
    assert states[third] == ("clip", "pending")
    spool.close()


def test_a_clip_refused_too_often_is_given_up_with_the_reason(
    tmp_path: Path, real_clip: tuple[Path, ClipInfo]
) -> None:
    spool = ClipSpool(ClipsConfig(path=tmp_path / "spool", max_rejections=2))
    clip_id = _file(spool, real_clip)
    spool.confirm(clip_id, 500_000)
    spool.reject(clip_id, "corrupt: the bytes do not match")
    head = spool.head()
    assert head is not None
    assert (head.is_notice, head.next_offset) == (False, 0)  # starts over
    spool.reject(clip_id, "corrupt: the bytes do not match")
    head = spool.head()
    assert head is not None
    assert head.is_notice
    assert "corrupt" in (head.reason or "")
    assert spool.counts().dropped == {"rejected": 1}
    spool.close()


def test_at_start_files_without_rows_go_and_rows_without_files_become_notices(
    tmp_path: Path, real_clip: tuple[Path, ClipInfo]
) -> None:
    config = ClipsConfig(path=tmp_path / "spool")
    spool = ClipSpool(config)
    lost = _file(spool, real_clip)
    spool.close()
    (tmp_path / "spool" / f"{lost}.mp4").unlink()  # the file vanished
    stray = tmp_path / "spool" / f"{uuid.uuid4()}.mp4.part"  # a crash before filing
    stray.write_bytes(b"half a clip")

    again = ClipSpool(config)
    assert not stray.exists()
    head = again.head()
    assert head is not None
    assert (head.clip_id, head.is_notice) == (lost, True)
    again.close()


def test_a_clip_still_recording_when_the_edge_stopped_becomes_a_notice(tmp_path: Path) -> None:
    config = ClipsConfig(path=tmp_path / "spool")
    spool = ClipSpool(config)
    clip_id = uuid.uuid4()
    spool.announce(clip_id, uuid.uuid4(), "cam")  # its alert went out; then a power cut
    assert spool.head() is None  # nothing to send while it records
    spool.close()

    again = ClipSpool(config)
    head = again.head()
    assert head is not None
    assert (head.clip_id, head.is_notice) == (clip_id, True)
    assert "recording" in (head.reason or "")
    assert again.counts().dropped == {"interrupted": 1}
    again.close()
