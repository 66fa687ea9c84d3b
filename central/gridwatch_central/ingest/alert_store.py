"""The one path of a new alert into the database: incidents, its row, auto-verified cases.

Camera alerts (``ingest.service``) and sensor alarms (``sensors.ingest``) both end here, in
their batch's transaction: the batch's new alerts are placed into incidents (merging by
category, place and time, ``incidents.placement``) with a fixed number of statements, inserted
in bulk already linked to their incident and case, and every incident they touched that meets
an auto-verify rule becomes a case. An alert and its incident (and an auto-verified case) are
committed together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gridwatch_central.db import repository
from gridwatch_central.db.tables import CaseRow, IncidentRow
from gridwatch_central.grid import GridAssignment
from gridwatch_central.incidents import AlertFacts, EventAlerts, NewAlert, place_events
from gridwatch_central.review import ReviewService
from gridwatch_central.routing import Router


@dataclass(frozen=True, slots=True)
class AlertToStore:
    facts: AlertFacts
    received_at: datetime
    snapshot_sha256: str | None
    grid: GridAssignment | None
    # The case category (GB/T 47678.5 code); one without a routing policy (camera_offline,
    # sensor_offline) is stored but governs nothing.
    category: str
    # Its row in ``alerts`` but for incident_id and case_id: built before the transaction.
    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredAlert:
    incident_id: int | None
    case_id: int | None


class AlertStore:
    def __init__(self, router: Router, review: ReviewService) -> None:
        self._router = router
        self._review = review

    def store(
        self, session: Session, batch: Sequence[AlertToStore]
    ) -> dict[uuid.UUID, StoredAlert]:
        """Store the alerts not stored yet (by ``alert_id``); what became of each, by id.

        An id absent from the answer was stored before (or earlier in ``batch``): a duplicate.
        """
        firsts: dict[uuid.UUID, AlertToStore] = {}
        for item in batch:  # the first copy of each alert_id; later copies are duplicates
            firsts.setdefault(item.facts.alert_id, item)
        stored = repository.stored_alert_ids(session, list(firsts))
        events: dict[uuid.UUID, list[AlertToStore]] = {}
        for item in firsts.values():  # arrival order: an event is placed where it first appears
            if item.facts.alert_id not in stored:
                events.setdefault(item.facts.event_id, []).append(item)
        governed = self._governed(events.values())
        placement = place_events(session, [event for event, _items in governed])
        placed, cases = placement.incidents, placement.cases
        incident_of = {
            item.facts.alert_id: incident
            for (_event, items), incident in zip(governed, placed, strict=True)
            for item in items
        }
        new = [item for items in events.values() for item in items]
        # Sorted by key so two central processes inserting overlapping batches lock in the same
        # order and cannot deadlock.
        new.sort(key=lambda item: item.facts.alert_id)
        repository.insert_new_alerts(
            session, [_linked_row(item, incident_of, cases) for item in new]
        )
        for incident in dict.fromkeys(placed):  # each once, in order of first placement
            if incident.id not in cases:
                case = self._review.auto_verify(session, incident)
                if case is not None:
                    cases[incident.id] = case
        return {item.facts.alert_id: _stored(item, incident_of, cases) for item in new}

    def _governed(
        self, events: Iterable[list[AlertToStore]]
    ) -> list[tuple[EventAlerts, list[AlertToStore]]]:
        """Events of a category with a policy; the others are stored but govern nothing."""
        governed = []
        for items in events:
            policy = self._router.policy_or_none(items[0].category)
            if policy is not None:
                alerts = [
                    NewAlert(i.facts, i.received_at, i.snapshot_sha256, i.grid) for i in items
                ]
                governed.append((EventAlerts(policy, alerts), items))
        return governed


def _stored(
    item: AlertToStore, incident_of: dict[uuid.UUID, IncidentRow], cases: dict[int, CaseRow]
) -> StoredAlert:
    incident = incident_of.get(item.facts.alert_id)
    case = cases.get(incident.id) if incident is not None else None
    return StoredAlert(
        incident_id=incident.id if incident is not None else None,
        case_id=case.id if case is not None else None,
    )


def _linked_row(
    item: AlertToStore, incident_of: dict[uuid.UUID, IncidentRow], cases: dict[int, CaseRow]
) -> dict[str, Any]:
    linked = _stored(item, incident_of, cases)
    return item.row | {"case_id": linked.case_id, "incident_id": linked.incident_id}
