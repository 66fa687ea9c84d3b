"""The registered cameras as ingest needs them: position and fitted ground mapping, in memory.

Reloaded when any central process changes a camera (checked at most every ``refresh_s``), and
at once when this process does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from shapely import MultiPoint
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cameras.models import HomographyIn
from gridwatch_central.db import grid_repository
from gridwatch_central.db.tables import CameraRow
from gridwatch_central.grid.homography import GroundMapping

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CameraPlacement:
    id: str
    edge_id: str
    lat: float
    lon: float
    mapping: GroundMapping | None
    # Convex hull (lon/lat) of the homography's ground reference points: the calibrated area.
    footprint: Any


def placement_of(row: CameraRow) -> CameraPlacement:
    mapping, footprint = None, None
    if row.homography is not None:
        try:
            homography = HomographyIn.model_validate(row.homography)
        except ValidationError as error:
            # Stored before a stricter check existed: place by the camera position instead.
            log.warning("camera %s: stored homography unusable, ignored: %s", row.id, error)
        else:
            mapping = homography.fit()
            footprint = MultiPoint([(p.lon, p.lat) for p in homography.points]).convex_hull
    return CameraPlacement(row.id, row.edge_id, row.lat, row.lon, mapping, footprint)


class CameraDirectory:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._refresh_s = refresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cameras: dict[str, CameraPlacement] = {}
        self._fingerprint: tuple[int, datetime | None] | None = None
        self._checked_at = float("-inf")

    def get(self, camera_id: str) -> CameraPlacement | None:
        if self._clock() - self._checked_at >= self._refresh_s:
            self.refresh()
        return self._cameras.get(camera_id)

    def all(self) -> list[CameraPlacement]:
        """Every registered camera (refreshed like ``get``)."""
        if self._clock() - self._checked_at >= self._refresh_s:
            self.refresh()
        return list(self._cameras.values())

    def invalidate(self) -> None:
        """Reload on the next lookup (after this process changed a camera)."""
        self._checked_at = float("-inf")
        self._fingerprint = None

    def refresh(self) -> None:
        with self._lock, self._sessions() as session:
            self._checked_at = self._clock()
            fingerprint = grid_repository.cameras_changed_at(session)
            if fingerprint == self._fingerprint:
                return
            rows = grid_repository.list_cameras(session)
            self._cameras = {row.id: placement_of(row) for row in rows}
            self._fingerprint = fingerprint
