"""An incident's evidence as the console shows it: the best alert's clip state and,
for a sensor alarm, the linked cameras' pictures (视频联动) — for a whole queue in a few
queries, not a few per card."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.clips.views import clips_out
from gridwatch_central.db import repository
from gridwatch_central.db import sensor_repository as sensor_rows
from gridwatch_central.db.tables import AlertLinkRow
from gridwatch_central.schemas import ClipOut
from gridwatch_central.sensors.models import AlertLinkOut


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a queue card shows of its incident's best alert. Not the whole ``AlertOut``:
    the queue renders 200 cards, and building 200 full alerts would double its time."""

    alert_id: uuid.UUID
    source: str
    event_type: str
    camera_id: str  # the sensor's id for a sensor alert
    measurements: dict[str, float]
    clip: ClipOut | None
    links: list[AlertLinkOut] = field(default_factory=list)


def link_out(row: AlertLinkRow) -> AlertLinkOut:
    """One 视频联动 request of a sensor alert and its outcome, as the API shows it."""
    snapshot_url = (
        f"/api/v1/alerts/{row.alert_id}/links/{row.camera_id}/snapshot"
        if row.snapshot_sha256
        else None
    )
    return AlertLinkOut(
        camera_id=row.camera_id,
        edge_id=row.edge_id,
        kind=row.kind,
        status=row.status,
        reason=row.reason,
        snapshot_sha256=row.snapshot_sha256,
        snapshot_url=snapshot_url,
        requested_at=row.requested_at,
        resolved_at=row.resolved_at,
    )


def links_of(
    session: Session, alert_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[AlertLinkOut]]:
    """The 视频联动 requests of each alert (none for camera alerts), in one query."""
    found: dict[uuid.UUID, list[AlertLinkOut]] = defaultdict(list)
    for row in sensor_rows.links_of(session, alert_ids):
        found[row.alert_id].append(link_out(row))
    return found


def evidence_of(
    session: Session, scope: Scope, alert_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Evidence]:
    """Each alert of ``alert_ids`` in ``scope`` with its clip and linked pictures."""
    rows = repository.alerts_by_ids(session, scope, set(alert_ids))
    clips = clips_out(session, [row.clip_id for row in rows])
    sensor_ids = [row.alert_id for row in rows if row.source == "sensor"]
    links = links_of(session, sensor_ids) if sensor_ids else {}
    return {
        row.alert_id: Evidence(
            alert_id=row.alert_id,
            source=row.source,
            event_type=row.event_type,
            camera_id=row.camera_id,
            measurements=dict(row.measurements or {}),
            clip=clips.get(row.clip_id) if row.clip_id is not None else None,
            links=links.get(row.alert_id, []),
        )
        for row in rows
    }
