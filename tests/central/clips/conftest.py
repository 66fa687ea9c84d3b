"""A real evidence clip (cut from the sample footage by the edge's own code) and its upload."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridwatch_contract.clip_messages import ClipChunkHeader, ClipInfo, encode_clip_chunk
from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.clips.remux import remux
from tests.edge.clips.helpers import H264_CLIP, replay_with_event

EDGE_ID = "edge-01"
CAMERA_ID = "cam-01"
CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class RealClip:
    data: bytes
    info: ClipInfo

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@pytest.fixture(scope="session")
def real_clip(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RealClip:
    folder = tmp_path_factory.mktemp("clip")
    config = ClipsConfig(pre_s=2.0, post_s=4.0, path=folder)
    (cut,) = replay_with_event(samples_dir / H264_CLIP, config, event_at_s=20.0).clips
    path = folder / "clip.mp4"
    info = remux(cut, path).info
    return RealClip(path.read_bytes(), info)


def chunks(
    clip: RealClip,
    clip_id: uuid.UUID,
    event_id: uuid.UUID,
    *,
    data: bytes | None = None,
    edge_id: str = EDGE_ID,
) -> list[bytes]:
    """The framed chunks an edge sends for ``clip`` (``data`` replaces its bytes, with the
    clip's own size and sha256 still declared: a corrupt or forged upload)."""
    body = clip.data if data is None else data
    payloads = []
    for offset in range(0, len(body), CHUNK_BYTES):
        part = body[offset : offset + CHUNK_BYTES]
        header = ClipChunkHeader(
            clip_id=clip_id,
            event_id=event_id,
            edge_id=edge_id,
            camera_id=CAMERA_ID,
            offset=offset,
            length=len(part),
            total_bytes=len(clip.data),
            sha256=clip.sha256,
            info=clip.info,
        )
        payloads.append(encode_clip_chunk(header, part))
    return payloads
