"""SQL of the edge monitor: the ``edges`` rows and their cameras' health.

Every central process writes what it hears on the status and stats topics; the writes are
upserts whose result does not depend on which process wrote last, except the report itself,
where the newest message wins in every process alike (each handles its messages in order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.orm import Session

from gridwatch_central.db.dialect import dialect_insert
from gridwatch_central.db.edge_config_repository import ConfigReportRow, record_report
from gridwatch_central.db.tables import CameraHealthRow, EdgeRow


@dataclass(frozen=True, slots=True)
class StatusReport:
    edge_id: str
    state: str
    software_version: str
    received_at: datetime
    # When the edge was last known alive: the receive time of a live "online"; else the time
    # in the message (a retained replay or a last will may be hours old).
    seen_at: datetime
    # What the edge made of its config; None (an older edge, the last will) keeps the stored.
    config: ConfigReportRow | None = None


@dataclass(frozen=True, slots=True)
class StatsReport:
    edge_id: str
    received_at: datetime
    stats_at: datetime
    uptime_s: float
    outbox_depth: int
    inference_ms_p50: float | None
    stats_interval_s: float | None
    model_name: str | None
    model_version: str | None
    cameras: list[dict[str, Any]]  # camera_health columns except edge_id and reported_at


def record_status(session: Session, report: StatusReport) -> None:
    table = EdgeRow.__table__
    insert = dialect_insert(session, table).values(
        id=report.edge_id,
        first_seen_at=report.received_at,
        last_seen_at=report.seen_at,
        reported_state=report.state,
        state_changed_at=report.received_at,
        software_version=report.software_version,
    )
    new = insert.excluded
    unchanged = table.c.reported_state.is_not_distinct_from(new.reported_state)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={
                "last_seen_at": _later(table.c.last_seen_at, new.last_seen_at),
                # Registered before it ever reported: this is its first sign of life.
                "first_seen_at": func.coalesce(table.c.first_seen_at, new.first_seen_at),
                "reported_state": new.reported_state,
                "state_changed_at": case(
                    (unchanged, table.c.state_changed_at), else_=new.state_changed_at
                ),
                "software_version": new.software_version,
            },
        )
    )
    if report.config is not None:
        record_report(session, report.edge_id, report.config)


def record_stats(session: Session, report: StatsReport) -> None:
    """The edge's figures and exactly the cameras it reports now."""
    table = EdgeRow.__table__
    insert = dialect_insert(session, table).values(
        id=report.edge_id,
        first_seen_at=report.received_at,
        last_seen_at=report.received_at,
        stats_at=report.stats_at,
        uptime_s=report.uptime_s,
        outbox_depth=report.outbox_depth,
        inference_ms_p50=report.inference_ms_p50,
        stats_interval_s=report.stats_interval_s,
        model_name=report.model_name,
        model_version=report.model_version,
    )
    new = insert.excluded
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={
                "last_seen_at": _later(table.c.last_seen_at, new.last_seen_at),
                # Registered before it ever reported: this is its first sign of life.
                "first_seen_at": func.coalesce(table.c.first_seen_at, new.first_seen_at),
                "stats_at": new.stats_at,
                "uptime_s": new.uptime_s,
                "outbox_depth": new.outbox_depth,
                "inference_ms_p50": new.inference_ms_p50,
                # An older edge reports neither: keep what a newer report said, if any.
                "stats_interval_s": func.coalesce(new.stats_interval_s, table.c.stats_interval_s),
                "model_name": func.coalesce(new.model_name, table.c.model_name),
                "model_version": func.coalesce(new.model_version, table.c.model_version),
            },
        )
    )
    _replace_cameras(session, report)


def _replace_cameras(session: Session, report: StatsReport) -> None:
    table = CameraHealthRow.__table__
    reported = [camera["camera_id"] for camera in report.cameras]
    session.execute(
        delete(CameraHealthRow).where(
            CameraHealthRow.edge_id == report.edge_id, CameraHealthRow.camera_id.not_in(reported)
        )
    )
    if not report.cameras:
        return
    rows = [
        {**camera, "edge_id": report.edge_id, "reported_at": report.stats_at}
        for camera in report.cameras
    ]
    insert = dialect_insert(session, table).values(rows)
    columns = [name for name in rows[0] if name not in {"edge_id", "camera_id"}]
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.edge_id, table.c.camera_id],
            set_={name: insert.excluded[name] for name in columns},
        )
    )


def _later(stored: Any, new: Any) -> ColumnElement[Any]:
    """The later of two timestamps, in SQL both databases speak (GREATEST is PostgreSQL's).
    A registered edge's row exists before its first report, with no time stored: ``new >
    NULL`` is NULL, not true, so the first report's time is taken explicitly."""
    return case((stored.is_(None), new), (new > stored, new), else_=stored)


def edges_with_cameras(
    session: Session, edge_id: str | None = None
) -> list[tuple[EdgeRow, list[CameraHealthRow]]]:
    """Every edge (or the one ``edge_id``) by id, with its reported cameras by id.

    One statement, so the edge row and its cameras come from the same committed state: read
    apart, a stats message committed between the two reads would pair one message's figures
    with another's cameras.
    """
    query = (
        select(EdgeRow, CameraHealthRow)
        .outerjoin(CameraHealthRow, CameraHealthRow.edge_id == EdgeRow.id)
        .order_by(EdgeRow.id, CameraHealthRow.camera_id)
    )
    if edge_id is not None:
        query = query.where(EdgeRow.id == edge_id)
    found: dict[str, tuple[EdgeRow, list[CameraHealthRow]]] = {}
    for edge, camera in session.execute(query):
        cameras = found.setdefault(edge.id, (edge, []))[1]
        if camera is not None:
            cameras.append(camera)
    return list(found.values())
