"""Alerts as the API shows them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.clips.views import clips_out
from gridwatch_central.db import repository
from gridwatch_central.db.repository import AlertFilter
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.schemas import AlertOut, AlertPage, ClipOut, GeoPointOut
from gridwatch_central.snapshots import SnapshotStore


def to_alert_out(row: AlertRow, clip: ClipOut | None = None) -> AlertOut:
    location = None
    if row.lat is not None and row.lon is not None:
        location = GeoPointOut(lat=row.lat, lon=row.lon)
    snapshot_url = f"/api/v1/alerts/{row.alert_id}/snapshot" if row.snapshot_sha256 else None
    fields = {name: getattr(row, name) for name in AlertOut.model_fields if hasattr(row, name)}
    return AlertOut(**fields, location=location, snapshot_url=snapshot_url, clip=clip)


def alerts_out(session: Session, rows: Sequence[AlertRow]) -> list[AlertOut]:
    """The alerts as the API shows them, each with its clip's state (one query for all)."""
    clips = clips_out(session, [row.clip_id for row in rows])
    return [
        to_alert_out(row, clips[row.clip_id] if row.clip_id is not None else None) for row in rows
    ]


def list_alerts(
    session: Session, scope: Scope, where: AlertFilter, limit: int, offset: int
) -> AlertPage:
    page = repository.list_alerts(session, scope, where, limit, offset)
    items = alerts_out(session, page.items)
    return AlertPage(items=items, total=page.total, limit=limit, offset=offset)


def get_alert(session: Session, scope: Scope, alert_id: uuid.UUID) -> AlertOut | None:
    row = repository.get_alert(session, scope, alert_id)
    return alerts_out(session, [row])[0] if row is not None else None


def get_snapshot(
    session: Session,
    scope: Scope,
    store: SnapshotStore,
    alert_id: uuid.UUID,
    *,
    clean: bool = False,
) -> bytes | None:
    """The alert's JPEG (annotated, or the clean frame the edge sent beside it), or None if
    the alert (in scope) or that image does not exist."""
    row = repository.get_alert(session, scope, alert_id)
    digest = None if row is None else (row.clean_snapshot_sha256 if clean else row.snapshot_sha256)
    return store.read(digest) if digest is not None else None
