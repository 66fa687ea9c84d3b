"""Placing a batch of new alerts into incidents with a fixed number of statements.

The events of a batch are placed in arrival order by the rule of ``incidents.merge``, exactly
as if one event were placed after the other: an incident opened (or refreshed) by an earlier
event of the batch is a candidate for the later ones. What the rule needs is read up front
(event links, merge candidates), the decisions are made in memory, then written in bulk:
new incidents, event links, the locked existing incidents' counters, timeline entries.

Runs inside the ingest transaction, so alerts and their incidents commit together or not at
all. Two central processes receiving alerts of one new event do not both open an incident:
the events are locked (``lock_events``) before their links are read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gridwatch_central.db import placement_repository as placements
from gridwatch_central.db.engine import RetryTransactionError
from gridwatch_central.db.incident_repository import OPEN_STATUSES
from gridwatch_central.db.placement_repository import SearchArea
from gridwatch_central.db.tables import CaseRow, IncidentRow
from gridwatch_central.grid import GridAssignment
from gridwatch_central.incidents.facts import AlertFacts
from gridwatch_central.incidents.geo import bounding_box
from gridwatch_central.incidents.merge import (
    Candidate,
    IncidentStatus,
    absorb,
    nearest,
)
from gridwatch_central.routing import CategoryPolicy


@dataclass(frozen=True, slots=True)
class NewAlert:
    """A stored alert to place: its facts, its server receive time, snapshot and grid."""

    alert: AlertFacts
    received_at: datetime
    snapshot_sha256: str | None
    grid: GridAssignment | None


@dataclass(frozen=True, slots=True)
class EventAlerts:
    """The batch's new alerts of one edge event, in arrival order, and its category policy."""

    policy: CategoryPolicy
    alerts: Sequence[NewAlert]

    @property
    def event_id(self) -> uuid.UUID:
        return self.alerts[0].alert.event_id


@dataclass(frozen=True, slots=True)
class Placement:
    """The incident of each event (in the order given) and the cases of those that have one."""

    incidents: list[IncidentRow]
    cases: dict[int, CaseRow]


@dataclass(slots=True)
class _Plan:
    """Decisions in memory: per event the stored incident id or the index of a new one."""

    linked: dict[uuid.UUID, int]
    candidates: dict[tuple[int, int], Candidate]
    targets: list[int | IncidentRow] = field(default_factory=list)
    opened: list[IncidentRow] = field(default_factory=list)
    merged: set[int] = field(default_factory=set)  # stored incidents joined by the merge rule


def place_events(session: Session, events: Sequence[EventAlerts]) -> Placement:
    """The incident of each event, opened or updated (flushed, ids set), and the cases."""
    if not events:
        return Placement([], {})
    plan = _Plan(_links(session, events), {})
    fresh = [event for event in events if event.event_id not in plan.linked]
    plan.candidates = _candidates(session, fresh, set(plan.linked.values()))
    for event in events:
        plan.targets.append(_decide(plan, event))
    stored = placements.lock_incidents(session, {t for t in plan.targets if isinstance(t, int)})
    _check_still_open(stored, plan.merged)
    incidents = [t if isinstance(t, IncidentRow) else stored[t][0] for t in plan.targets]
    openers = {row.first_event_id for row in plan.opened}
    grown: dict[int, int] = {}  # stored incident id → alerts it took in this batch
    for event, incident in zip(events, incidents, strict=True):
        # The alert that opened an incident is in its counters already.
        for item in event.alerts[1:] if event.event_id in openers else event.alerts:
            absorb(incident, item.alert, item.received_at, item.snapshot_sha256)
            if event.event_id not in openers and incident.id is not None:
                grown[incident.id] = grown.get(incident.id, 0) + 1
    placements.insert_incidents(session, plan.opened)  # also flushes the absorbed counters
    _link_fresh(session, fresh, events, incidents)
    entries = [_opened_entry(row) for row in plan.opened]
    entries += [
        _merged_entry(stored[i][0], n) for i, n in grown.items() if _awaits_review(stored[i][0])
    ]
    placements.append_timelines(session, entries)
    cases = {key: case for key, (_row, case) in stored.items() if case is not None}
    return Placement(incidents, cases)


def _awaits_review(incident: IncidentRow) -> bool:
    return incident.status == IncidentStatus.PENDING.value


def _merged_entry(incident: IncidentRow, alerts: int) -> dict[str, Any]:
    """More alerts joined an incident awaiting review: its count and latest time changed, and
    the operators' queues (which follow the timeline) show it. Once reviewed, the case's
    timeline tells the story instead, so a long event does not fill this one."""
    return {
        "incident_id": incident.id,
        "at": incident.last_seen_at,
        "action": "merged",
        "actor": "system",
        "actor_role": "system",
        "note": f"合并: {alerts} more alert(s), {incident.alert_count} in all",
        "details": {"alerts": alerts, "alert_count": incident.alert_count},
    }


def _links(session: Session, events: Sequence[EventAlerts]) -> dict[uuid.UUID, int]:
    event_ids = [event.event_id for event in events]
    # First wait for any other process placing one of these events, then read the links.
    placements.lock_events(session, event_ids)
    return placements.incidents_of_events(session, event_ids)


def _candidates(
    session: Session, fresh: Sequence[EventAlerts], refreshed: set[int]
) -> dict[tuple[int, int], Candidate]:
    if not fresh:
        return {}
    since = min(_since(event) for event in fresh)
    areas = [_area(event) for event in fresh]
    categories = {event.policy.code for event in fresh}
    rows = placements.merge_candidates(session, categories, since, areas, also=refreshed)
    return {
        (0, row.id): Candidate(
            (0, row.id), row.category, row.lat, row.lon, row.camera_id, row.last_seen_at
        )
        for row in rows
    }


def _since(event: EventAlerts) -> datetime:
    return event.alerts[0].received_at - timedelta(minutes=event.policy.merge_window_min)


def _area(event: EventAlerts) -> SearchArea:
    alert = event.alerts[0].alert
    box = None
    if alert.lat is not None and alert.lon is not None:
        box = bounding_box(alert.lat, alert.lon, event.policy.merge_radius_m)
    return SearchArea(box, alert.camera_id)


def _decide(plan: _Plan, event: EventAlerts) -> int | IncidentRow:
    """Where ``event`` goes; keeps the candidates' last-seen times as its alerts arrive."""
    first = event.alerts[0]
    target: int | IncidentRow
    key: tuple[int, int]
    if event.event_id in plan.linked:
        target = plan.linked[event.event_id]
        key = (0, target)
    else:
        policy = event.policy
        found = nearest(
            plan.candidates.values(),
            first.alert,
            category=policy.code,
            radius_m=policy.merge_radius_m,
            since=_since(event),
        )
        if found is None:
            target = _new_incident(policy, first)
            key = (1, len(plan.opened))
            plan.opened.append(target)
            plan.candidates[key] = _candidate(key, target)
        else:
            key = found.order
            target = plan.opened[key[1]] if key[0] else key[1]
            if key[0] == 0:
                plan.merged.add(key[1])
    candidate = plan.candidates.get(key)
    if candidate is not None:
        latest = max(item.received_at for item in event.alerts)
        candidate.last_seen_at = max(candidate.last_seen_at, latest)
    return target


def _candidate(key: tuple[int, int], row: IncidentRow) -> Candidate:
    return Candidate(key, row.category, row.lat, row.lon, row.camera_id, row.last_seen_at)


def _check_still_open(
    stored: dict[int, tuple[IncidentRow, CaseRow | None]], merged: set[int]
) -> None:
    """A reviewer may have closed a chosen incident since the unlocked candidate read."""
    if any(stored[incident_id][0].status not in OPEN_STATUSES for incident_id in merged):
        raise RetryTransactionError("an incident chosen for merging was reviewed meanwhile")


def _link_fresh(
    session: Session,
    fresh: Sequence[EventAlerts],
    events: Sequence[EventAlerts],
    incidents: Sequence[IncidentRow],
) -> None:
    incident_of = {event.event_id: row.id for event, row in zip(events, incidents, strict=True)}
    wanted = {event.event_id: incident_of[event.event_id] for event in fresh}
    if placements.link_events(session, wanted) != set(wanted):
        # Only possible if a writer links events without lock_events (or on a database
        # without it): run the whole transaction again, which then follows its links.
        raise RetryTransactionError("another writer tied some of these events to incidents")


def _new_incident(policy: CategoryPolicy, first: NewAlert) -> IncidentRow:
    alert, grid = first.alert, first.grid
    cells = (grid.level1, grid.level2, grid.level3) if grid else (None, None, None)
    codes = [cell.code if cell else None for cell in cells]
    values: dict[str, Any] = {
        "category": policy.code,
        "event_type": alert.event_type,
        "source": alert.source,
        "status": IncidentStatus.PENDING.value,
        "lat": alert.lat,
        "lon": alert.lon,
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "place": next((cell.name for cell in reversed(cells) if cell), None),
        "camera_id": alert.camera_id,
        "edge_id": alert.edge_id,
        "rule_id": alert.rule_id,
        "model_name": alert.model_name,
        "model_version": alert.model_version,
        # Server clock, like every deadline: the time to verify is measured from here.
        "first_seen_at": first.received_at,
        "last_seen_at": first.received_at,
        "alert_count": 1,
        "first_alert_id": alert.alert_id,
        "first_event_id": alert.event_id,
        "best_alert_id": alert.alert_id,
        "best_confidence": alert.confidence,
        "best_snapshot_sha256": first.snapshot_sha256,
    }
    return IncidentRow(**values)


def _opened_entry(incident: IncidentRow) -> dict[str, Any]:
    return {
        "incident_id": incident.id,
        "at": incident.first_seen_at,
        "action": "opened",
        "actor": "system",
        "actor_role": "system",
        "note": (
            f"发现: opened from alert {incident.first_alert_id} of {incident.source}"
            f" {incident.camera_id}"
        ),
        "details": None,
    }
