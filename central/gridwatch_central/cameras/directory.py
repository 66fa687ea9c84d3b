"""The registered cameras as ingest needs them: position and fitted ground mapping, in memory.

Reloaded when any central process changes a camera (checked at most every ``refresh_s``), and
at once when this process does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from shapely import MultiPoint
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cameras.models import HomographyIn
from gridwatch_central.db import grid_repository
from gridwatch_central.db.refreshing import Refreshing
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
        empty: dict[str, CameraPlacement] = {}
        self._cameras = Refreshing(
            sessions,
            fingerprint=grid_repository.cameras_changed_at,
            load=_load,
            empty=empty,
            refresh_s=refresh_s,
            clock=clock,
        )

    def get(self, camera_id: str) -> CameraPlacement | None:
        return self._cameras.get().get(camera_id)

    def all(self) -> list[CameraPlacement]:
        """Every registered camera (refreshed like ``get``)."""
        return list(self._cameras.get().values())

    def invalidate(self) -> None:
        """Reload on the next lookup (after this process changed a camera)."""
        self._cameras.invalidate()

    def refresh(self) -> None:
        self._cameras.refresh()


def _load(session: Session) -> dict[str, CameraPlacement]:
    return {row.id: placement_of(row) for row in grid_repository.list_cameras(session)}
