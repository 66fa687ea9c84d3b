"""Alerts as the API shows them."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import repository
from gridwatch_central.db.repository import AlertFilter
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.schemas import AlertOut, AlertPage, GeoPointOut
from gridwatch_central.snapshots import SnapshotStore


def to_alert_out(row: AlertRow) -> AlertOut:
    location = None
    if row.lat is not None and row.lon is not None:
        location = GeoPointOut(lat=row.lat, lon=row.lon)
    snapshot_url = f"/api/v1/alerts/{row.alert_id}/snapshot" if row.snapshot_sha256 else None
    fields = {name: getattr(row, name) for name in AlertOut.model_fields if hasattr(row, name)}
    return AlertOut(**fields, location=location, snapshot_url=snapshot_url)


def list_alerts(
    session: Session, scope: Scope, where: AlertFilter, limit: int, offset: int
) -> AlertPage:
    page = repository.list_alerts(session, scope, where, limit, offset)
    items = [to_alert_out(row) for row in page.items]
    return AlertPage(items=items, total=page.total, limit=limit, offset=offset)


def get_alert(session: Session, scope: Scope, alert_id: uuid.UUID) -> AlertOut | None:
    row = repository.get_alert(session, scope, alert_id)
    return to_alert_out(row) if row is not None else None


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
