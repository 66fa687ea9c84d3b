"""视频联动: a sensor event opens, its linked cameras' edges are asked for a picture, and what
comes back is attached to the alert, its incident and its case.

Ingest hands every new sensor alarm over after its commit (``on_opened``) and goes on: asking
is a request/response over MQTT (``edge_requests``), answered within a second by a live edge,
so nobody waits on it. One worker thread records each request as an ``alert_links`` row,
sends it, and when the answer (or its deadline) comes writes the picture to the snapshot store
and, in one transaction, indexes it, resolves the link, and attaches it where it is missing:
the alert's snapshot, the incident's best snapshot, and a timeline entry of the case with the
picture as its attachment. A camera whose edge is known to be offline is noted at once
(``edge_offline``) and not asked; one whose stream is down is noted as the edge answers
(``camera_offline``); a silent edge is noted at the deadline (``timeout``).

A link row has a ``kind``: ``snapshot`` today. Evidence clips will be a second kind on their
own rows (same alert, same camera), asked for and attached by this same loop.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import case_repository as cases
from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db import sensor_repository as sensors
from gridwatch_central.db import snapshot_repository
from gridwatch_central.db.engine import run_in_transaction
from gridwatch_central.db.repository import PENDING_REVIEW
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.edge_requests import SnapshotOk, SnapshotResult
from gridwatch_central.sensors.alerts import OpenedSensorAlert
from gridwatch_central.sensors.directory import LinkedCamera, SensorDirectory
from gridwatch_central.snapshots import SnapshotStore
from gridwatch_contract.messages import EdgeAvailability

log = logging.getLogger(__name__)

SNAPSHOT = "snapshot"
REQUESTED = "requested"
ATTACHED = "attached"
EDGE_OFFLINE = "edge_offline"
LINKAGE_ACTOR = "system"


class SnapshotRequester(Protocol):
    """What linkage needs of ``edge_requests.EdgeRequestClient``."""

    def edge_availability(self, edge_id: str) -> EdgeAvailability | None: ...

    def submit_snapshot(
        self, edge_id: str, camera_id: str, timeout_s: float, *, max_width: int | None = None
    ) -> Future[SnapshotResult]: ...


@dataclass(frozen=True, slots=True)
class _Answer:
    link_id: int
    alert_id: uuid.UUID
    result: SnapshotResult


class Linkage:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        directory: SensorDirectory,
        requests: Callable[[], SnapshotRequester],
        snapshots: SnapshotStore,
        clock: Callable[[], datetime],
        *,
        timeout_s: float,
        max_width: int | None,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._requests = requests
        self._snapshots = snapshots
        self._clock = clock
        self._timeout_s = timeout_s
        self._max_width = max_width
        self._jobs: queue.Queue[OpenedSensorAlert | _Answer | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def on_opened(self, alerts: list[OpenedSensorAlert]) -> None:
        """Called by ingest after the commit; never blocks."""
        for alert in alerts:
            self._jobs.put(alert)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sensor-linkage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                if isinstance(job, OpenedSensorAlert):
                    self._ask(job)
                else:
                    self._attach(job)
            except Exception:  # one failed link must not end linkage for every later alarm
                log.exception("linking camera evidence failed for %s", job)

    def _ask(self, opened: OpenedSensorAlert) -> None:
        cameras = self._directory.linked_cameras(opened.sensor)
        if not cameras:
            return
        requests = self._requests()
        now = self._clock()
        offline = {
            link.camera.id
            for link in cameras
            if requests.edge_availability(link.camera.edge_id) is EdgeAvailability.OFFLINE
        }
        rows = [
            _link_row(opened.alert_id, link, now, link.camera.id in offline) for link in cameras
        ]

        def record(session: Session) -> dict[str, int]:
            return sensors.insert_links(session, rows)

        link_ids = run_in_transaction(self._sessions, record)
        for link in cameras:
            if link.camera.id in offline:
                continue
            future = requests.submit_snapshot(
                link.camera.edge_id, link.camera.id, self._timeout_s, max_width=self._max_width
            )
            future.add_done_callback(self._answered(link_ids[link.camera.id], opened.alert_id))

    def _answered(
        self, link_id: int, alert_id: uuid.UUID
    ) -> Callable[[Future[SnapshotResult]], None]:
        """Hands an answer (on the request client's thread) over to the worker."""

        def hand_over(done: Future[SnapshotResult]) -> None:
            self._jobs.put(_Answer(link_id, alert_id, done.result()))

        return hand_over

    def _attach(self, answer: _Answer) -> None:
        result = answer.result
        now = self._clock()
        if not isinstance(result, SnapshotOk):

            def note(session: Session) -> None:
                sensors.resolve_link(
                    session,
                    answer.link_id,
                    {
                        "status": result.failure.value,
                        "reason": result.reason[:500],
                        "resolved_at": now,
                    },
                )
                alert = sensors.alert_by_id(session, answer.alert_id)
                if alert is not None:
                    _note_on_incident(session, alert, result.camera_id, result.failure.value, now)

            run_in_transaction(self._sessions, note)
            return
        stored = self._snapshots.write(result.jpeg)
        self._snapshots.sync()  # the bytes reach the disk before the rows that point at them

        def attach(session: Session) -> None:
            snapshot_repository.insert_index_rows(
                session,
                [
                    {
                        "sha256": stored.sha256,
                        "pack": stored.pack,
                        "offset": stored.offset,
                        "length": stored.length,
                        "stored_at": now,
                    }
                ],
            )
            sensors.resolve_link(
                session,
                answer.link_id,
                {"status": ATTACHED, "snapshot_sha256": stored.sha256, "resolved_at": now},
            )
            sensors.set_alert_snapshot_if_none(session, answer.alert_id, stored.sha256)
            self._attach_to_case(session, answer.alert_id, result, stored.sha256, now)

        run_in_transaction(self._sessions, attach)

    def _attach_to_case(
        self, session: Session, alert_id: uuid.UUID, result: SnapshotOk, sha256: str, now: datetime
    ) -> None:
        alert = sensors.alert_by_id(session, alert_id)
        if alert is None or alert.incident_id is None:
            return
        sensors.set_incident_snapshot_if_none(session, alert.incident_id, sha256)
        _note_on_incident(session, alert, result.camera_id, ATTACHED, now)
        case = incidents.case_of_incident(session, alert.incident_id)
        if case is None:
            return  # a case opened later shows the picture through its alerts and incident
        cases.append_entry(
            session,
            {
                "case_id": case.id,
                "at": now,
                "action": "evidence",
                "actor": LINKAGE_ACTOR,
                "actor_role": "system",
                "from_state": None,
                "to_state": None,
                "note": (
                    f"视频联动: snapshot of camera {result.camera_id} attached to sensor alarm"
                    f" {alert.camera_id} ({alert.event_type})"
                ),
                "attachments": [sha256],
                "details": {"alert_id": str(alert_id), "camera_id": result.camera_id},
            },
        )


def _note_on_incident(
    session: Session, alert: AlertRow, camera_id: str, status: str, now: datetime
) -> None:
    """An incident awaiting review learns what its linked camera gave: the operators' queues
    (which follow the incident timeline) redraw the card with the picture, or say why none."""
    if alert.incident_id is None:
        return
    incident = incidents.get_incident(session, alert.incident_id, None)
    if incident is None or incident.status != PENDING_REVIEW:
        return
    incidents.append_incident_timeline(
        session,
        {
            "incident_id": incident.id,
            "at": now,
            "action": "evidence",
            "actor": LINKAGE_ACTOR,
            "actor_role": "system",
            "note": f"视频联动: camera {camera_id} {status} for sensor alarm {alert.camera_id}",
            "details": {"alert_id": str(alert.alert_id), "camera_id": camera_id, "status": status},
        },
    )


def _link_row(
    alert_id: uuid.UUID, link: LinkedCamera, now: datetime, offline: bool
) -> dict[str, object]:
    return {
        "alert_id": alert_id,
        "camera_id": link.camera.id,
        "edge_id": link.camera.edge_id,
        "kind": SNAPSHOT,
        "status": EDGE_OFFLINE if offline else REQUESTED,
        "reason": f"edge {link.camera.edge_id} is offline; not asked" if offline else None,
        "snapshot_sha256": None,
        "requested_at": now,
        "resolved_at": now if offline else None,
    }
