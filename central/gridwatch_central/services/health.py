"""Health and readiness of central: the database, the broker and what ingest holds.

``/healthz`` tells everything and answers 503 when something is wrong, ingest included: a
delivery unacknowledged for longer than ``ingest_stall_after_s`` means ingest is stuck, whatever
the database and the broker say. ``/readyz`` answers whether this process takes work now: it is
not ready while its ingest waits out an outage (load balancers and orchestrators then route
around it, and do not restart it: it resumes by itself).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import repository
from gridwatch_central.ingest.progress import IngestProgress, ProgressSnapshot
from gridwatch_central.schemas import HealthOut, IngestHealthOut, ReadyOut

log = logging.getLogger(__name__)


def check(
    sessions: sessionmaker[Session],
    mqtt_connected: bool,
    progress: IngestProgress,
    stall_after_s: float,
) -> HealthOut:
    problems: list[str] = []
    database = _database_answers(sessions)
    if not database:
        problems.append("database unreachable")
    if not mqtt_connected:
        problems.append("not connected and subscribed to the MQTT broker")
    ingest = _ingest(progress.snapshot(), stall_after_s)
    if ingest.outage:
        problems.append("ingest is waiting out an outage, deliveries held unacknowledged")
    if ingest.stalled:
        problems.append(
            f"ingest stalled: a delivery has waited {ingest.oldest_unacked_age_s:.0f} s"
            " unacknowledged"
        )
    healthy = database and mqtt_connected and not ingest.outage and not ingest.stalled
    return HealthOut(
        status="ok" if healthy else "unavailable",
        database=database,
        mqtt=mqtt_connected,
        ingest=ingest,
        detail="; ".join(problems) or None,
    )


def ready(
    sessions: sessionmaker[Session], mqtt_connected: bool, progress: IngestProgress
) -> ReadyOut:
    problems: list[str] = []
    if not _database_answers(sessions):
        problems.append("database unreachable")
    if not mqtt_connected:
        problems.append("not connected and subscribed to the MQTT broker")
    snapshot = progress.snapshot()
    if snapshot.outage:
        problems.append(f"ingest is waiting out an outage ({snapshot.outage_reason})")
    return ReadyOut(ready=not problems, detail="; ".join(problems) or None)


def _database_answers(sessions: sessionmaker[Session]) -> bool:
    try:
        with sessions() as session:
            repository.ping(session)
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error)
        return False
    return True


def _ingest(snapshot: ProgressSnapshot, stall_after_s: float) -> IngestHealthOut:
    lag = snapshot.oldest_unacked_age_s
    return IngestHealthOut(
        unacked_deliveries=snapshot.unacked,
        oldest_unacked_age_s=None if lag is None else round(lag, 3),
        outage=snapshot.outage,
        outage_for_s=None if snapshot.outage_for_s is None else round(snapshot.outage_for_s, 3),
        last_commit_age_s=(
            None if snapshot.last_commit_age_s is None else round(snapshot.last_commit_age_s, 3)
        ),
        stalled=lag is not None and lag > stall_after_s,
    )
