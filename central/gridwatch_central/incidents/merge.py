"""The merge rule, in memory: which open incident a new event joins, and what joining changes.

An event joins, in order: the incident it is already tied to (later alerts of one event always
follow the first), else the nearest open incident of the same category within the category's
radius whose last alert is within the category's window (ties: the lower id), else a new
incident. An alert without a location merges only with incidents without one from the same
camera, the most recently seen first. ``incidents.placement`` applies it to a whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gridwatch_central.db.tables import IncidentRow
from gridwatch_central.incidents.facts import AlertFacts
from gridwatch_central.incidents.geo import bounding_box, haversine_m


class IncidentStatus(StrEnum):
    PENDING = "PENDING"  # awaiting an operator's review
    VERIFIED = "VERIFIED"  # a real problem; a case is open for it
    FALSE_ALARM = "FALSE_ALARM"  # 误报
    DUPLICATE = "DUPLICATE"  # the same problem as another incident


@dataclass(slots=True)
class Candidate:
    """An open incident a new event may join. ``order`` breaks distance ties like the row id
    does: (0, id) for a stored incident, (1, n) for the n-th opened in this batch, whose id
    will be larger than every stored one and follow the order of opening."""

    order: tuple[int, int]
    category: str
    lat: float | None
    lon: float | None
    camera_id: str
    last_seen_at: datetime


def nearest(
    candidates: Iterable[Candidate],
    alert: AlertFacts,
    *,
    category: str,
    radius_m: float,
    since: datetime,
) -> Candidate | None:
    """The candidate ``alert`` (the first alert of a new event) joins, or None."""
    recent = [c for c in candidates if c.category == category and c.last_seen_at >= since]
    if alert.lat is None or alert.lon is None:
        same_camera = [c for c in recent if c.lat is None and c.camera_id == alert.camera_id]
        return max(same_camera, key=lambda c: (c.last_seen_at, c.order), default=None)
    south, west, north, east = bounding_box(alert.lat, alert.lon, radius_m)
    best: tuple[float, tuple[int, int], Candidate] | None = None
    for c in recent:
        if c.lat is None or c.lon is None:
            continue
        if not (south <= c.lat <= north and west <= c.lon <= east):  # the SQL prefilter's box
            continue
        distance = haversine_m(alert.lat, alert.lon, c.lat, c.lon)
        if distance <= radius_m and (best is None or (distance, c.order) < best[:2]):
            best = (distance, c.order, c)
    return best[2] if best else None


def absorb(
    incident: IncidentRow, alert: AlertFacts, received_at: datetime, snapshot_hash: str | None
) -> None:
    """One more alert in ``incident``: count, last seen, and the best (most confident) alert."""
    incident.alert_count += 1
    incident.last_seen_at = max(incident.last_seen_at, received_at)
    if alert.confidence > incident.best_confidence:  # ties keep the earlier alert
        incident.best_alert_id = alert.alert_id
        incident.best_confidence = alert.confidence
        incident.best_snapshot_sha256 = snapshot_hash
