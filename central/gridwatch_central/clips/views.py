"""What the API shows of clips: their state as ``ClipOut``, looked up for many alerts at once."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from pathlib import Path
from typing import cast, get_args

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.clips.store import ClipStore
from gridwatch_central.db import clip_repository
from gridwatch_central.db.tables import ClipRow
from gridwatch_central.schemas import ClipOut, ClipStatus

VIDEO_PATH = "/api/v1/clips/{clip_id}/video"


def video_path(clip_id: uuid.UUID) -> str:
    return VIDEO_PATH.format(clip_id=clip_id)


def clip_out(clip_id: uuid.UUID, row: ClipRow | None) -> ClipOut:
    """The clip's state; no row yet means the edge has not delivered it: pending."""
    if row is None:
        return ClipOut(
            clip_id=clip_id,
            status="pending",
            duration_s=None,
            starts_at=None,
            ends_at=None,
            event_at=None,
            video_url=None,
        )
    duration = None
    if row.starts_at is not None and row.ends_at is not None:
        duration = round((row.ends_at - row.starts_at).total_seconds(), 3)
    stored = row.status == clip_repository.STORED
    return ClipOut(
        clip_id=clip_id,
        status=_status(row.status),
        duration_s=duration,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        event_at=row.event_at,
        truncated=row.truncated,
        codec=row.codec,
        width=row.width,
        height=row.height,
        size_bytes=row.size_bytes,
        reason=row.reason,
        video_url=video_path(clip_id) if stored else None,
    )


def clips_out(session: Session, clip_ids: Collection[uuid.UUID | None]) -> dict[uuid.UUID, ClipOut]:
    """Every announced clip of ``clip_ids`` (None skipped), in one query."""
    wanted = {clip_id for clip_id in clip_ids if clip_id is not None}
    rows = clip_repository.by_ids(session, wanted)
    return {clip_id: clip_out(clip_id, rows.get(clip_id)) for clip_id in wanted}


def _status(value: str) -> ClipStatus:
    if value not in get_args(ClipStatus):
        raise ValueError(f"clip status {value!r} is none the API knows")
    return cast(ClipStatus, value)


def get_clip(session: Session, scope: Scope, clip_id: uuid.UUID) -> ClipOut | None:
    """The clip's state if an alert in ``scope`` announces it; None otherwise (as missing)."""
    if not clip_repository.announced_in_scope(session, scope, clip_id):
        return None
    return clip_out(clip_id, clip_repository.find(session, clip_id))


def video_file(
    session: Session, scope: Scope | None, store: ClipStore, clip_id: uuid.UUID
) -> Path | None:
    """The stored MP4 of ``clip_id`` if ``scope`` may see it (None: an access link already
    proved that); None when out of scope, not stored (yet), or its file is gone."""
    if scope is not None and not clip_repository.announced_in_scope(session, scope, clip_id):
        return None
    row = clip_repository.find(session, clip_id)
    if row is None or row.status != clip_repository.STORED or row.path is None:
        return None
    path = store.path_of(row.path)
    return path if path.is_file() else None
