"""The sensor registry: create, replace, delete, list and bulk-import sensors.

Every write checks what the database cannot: the type is configured, its threshold overrides
agree with each other, explicitly linked cameras are registered. The grid codes are derived
from the position at write time (and shown again with the sensor).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import grid_repository
from gridwatch_central.db import sensor_repository as sensors
from gridwatch_central.db.tables import SensorRow, SensorStateRow
from gridwatch_central.grid.index import GridIndex
from gridwatch_central.sensors.directory import (
    SensorDirectory,
    effective_threshold,
    known_sensor,
)
from gridwatch_central.sensors.models import (
    ImportProblem,
    ImportReport,
    LinkedCameraOut,
    SampleOut,
    SensorFields,
    SensorIn,
    SensorOut,
    SensorPage,
    SensorStateOut,
    ThresholdOverride,
)


class SensorExistsError(ValueError):
    def __init__(self, sensor_id: str) -> None:
        super().__init__(f"sensor {sensor_id} already exists; use PUT to change it")


class SensorInvalidError(ValueError):
    """The sensor names something the configuration or the registry does not know."""


class SensorRegistry:
    def __init__(self, directory: SensorDirectory) -> None:
        self._directory = directory

    def problems(self, session: Session, body: SensorFields) -> list[str]:
        """What is wrong with ``body`` beyond its own fields; empty when it can be stored."""
        kind = self._directory.types.types.get(body.sensor_type)
        if kind is None:
            known = ", ".join(sorted(self._directory.types.types))
            return [f"unknown sensor type {body.sensor_type!r} (known: {known})"]
        problems = []
        override = body.threshold.model_dump() if body.threshold is not None else None
        if override and kind.threshold is None:
            problems.append(f"type {body.sensor_type} has no threshold to override")
        else:
            try:
                effective_threshold(kind, override)
            except ValidationError as error:
                problems.append(f"threshold: {error.errors()[0]['msg']}")
        for camera_id in body.linked_cameras or []:
            if grid_repository.get_camera(session, camera_id) is None:
                problems.append(f"linked camera {camera_id} is not registered")
        return problems

    def create(self, session: Session, body: SensorIn, grid: GridIndex) -> SensorOut:
        if sensors.get_sensor(session, body.id) is not None:
            raise SensorExistsError(body.id)
        return self._write(session, body, grid)

    def replace(
        self, session: Session, sensor_id: str, body: SensorFields, grid: GridIndex
    ) -> SensorOut | None:
        if sensors.get_sensor(session, sensor_id) is None:
            return None
        return self._write(session, SensorIn(id=sensor_id, **body.model_dump()), grid)

    def _write(self, session: Session, body: SensorIn, grid: GridIndex) -> SensorOut:
        problems = self.problems(session, body)
        if problems:
            raise SensorInvalidError("; ".join(problems))
        sensors.upsert_sensors(session, [_values(body, grid, datetime.now(UTC))])
        session.commit()
        self._directory.invalidate()
        row = sensors.get_sensor(session, body.id)
        assert row is not None  # written just now
        return self.to_out(session, row)

    def delete(self, session: Session, sensor_id: str) -> bool:
        deleted = sensors.delete_sensor(session, sensor_id)
        session.commit()
        self._directory.invalidate()
        return deleted

    def get(self, session: Session, sensor_id: str, scope: Scope) -> SensorOut | None:
        row = sensors.get_sensor(session, sensor_id)
        if row is None or not scope.covers_grid(
            row.grid_l1_code, row.grid_l2_code, row.grid_l3_code
        ):
            return None
        return self.to_out(session, row)

    def samples(
        self,
        session: Session,
        sensor_id: str,
        scope: Scope,
        *,
        since: datetime | None,
        limit: int,
    ) -> list[SampleOut] | None:
        """Kept readings of a sensor in ``scope``, newest first; None when it is not there."""
        if self.get(session, sensor_id, scope) is None:
            return None
        rows = sensors.samples_of(session, sensor_id, since, limit)
        return [SampleOut(observed_at=row.observed_at, value=row.value) for row in rows]

    def list(
        self,
        session: Session,
        scope: Scope,
        *,
        sensor_type: str | None,
        gateway_id: str | None,
        grid_code: str | None,
        limit: int,
        offset: int,
    ) -> SensorPage:
        page = sensors.list_sensors(
            session,
            scope,
            sensor_type=sensor_type,
            gateway_id=gateway_id,
            grid_code=grid_code,
            limit=limit,
            offset=offset,
        )
        # One query for the states of the whole page, not one per sensor.
        states = sensors.states_of(session, [row.id for row in page.items])
        items = [self._out(row, states.get(row.id)) for row in page.items]
        return SensorPage(items=items, total=page.total, limit=limit, offset=offset)

    def import_rows(
        self,
        session: Session,
        parsed: Sequence[SensorIn | ImportProblem],
        grid: GridIndex,
        *,
        dry_run: bool,
    ) -> ImportReport:
        """All rows or none: any problem (or a dry run) writes nothing and says what would."""
        problems = [item for item in parsed if isinstance(item, ImportProblem)]
        bodies = [
            (number, item) for number, item in enumerate(parsed, 1) if isinstance(item, SensorIn)
        ]
        seen: set[str] = set()
        for number, body in bodies:
            if body.id in seen:
                problems.append(
                    ImportProblem(row=number, sensor_id=body.id, problem="listed twice")
                )
            seen.add(body.id)
            problems += [
                ImportProblem(row=number, sensor_id=body.id, problem=problem)
                for problem in self.problems(session, body)
            ]
        existing = sensors.existing_sensor_ids(session, seen)
        created = sorted(seen - existing)
        updated = sorted(seen & existing)
        applied = not problems and not dry_run
        if applied:
            now = datetime.now(UTC)
            sensors.upsert_sensors(session, [_values(body, grid, now) for _number, body in bodies])
            session.commit()
            self._directory.invalidate()
        problems.sort(key=lambda problem: problem.row)
        return ImportReport(
            dry_run=dry_run,
            rows=len(parsed),
            created=created,
            updated=updated,
            problems=problems,
            applied=applied,
        )

    def to_out(self, session: Session, row: SensorRow) -> SensorOut:
        return self._out(row, sensors.get_state(session, row.id))

    def _out(self, row: SensorRow, state: SensorStateRow | None) -> SensorOut:
        known = known_sensor(row, self._directory.types)
        cameras = []
        if known is not None:
            cameras = [
                LinkedCameraOut(camera_id=link.camera.id, edge_id=link.camera.edge_id, how=link.how)
                for link in self._directory.linked_cameras(known)
            ]
        kind = self._directory.types.types.get(row.sensor_type)
        interval = row.heartbeat_interval_s or (kind.heartbeat_interval_s if kind else 0.0)
        return SensorOut(
            id=row.id,
            gateway_id=row.gateway_id,
            vendor_code=row.vendor_code,
            sensor_type=row.sensor_type,
            name=row.name,
            lat=row.lat,
            lon=row.lon,
            height_m=row.height_m,
            grid_l1_code=row.grid_l1_code,
            grid_l2_code=row.grid_l2_code,
            grid_l3_code=row.grid_l3_code,
            linked_cameras=row.linked_cameras,
            cameras=cameras,
            threshold=ThresholdOverride.model_validate(row.threshold) if row.threshold else None,
            heartbeat_interval_s=interval,
            state=_state_out(state),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _state_out(state: SensorStateRow | None) -> SensorStateOut | None:
    if state is None:
        return None
    return SensorStateOut(
        phase=state.phase,
        offline=state.offline,
        last_seen_at=state.last_seen_at,
        last_value=state.last_value,
        last_observed_at=state.last_observed_at,
        open_event_id=str(state.event_id) if state.event_id is not None else None,
    )


def _values(body: SensorIn, grid: GridIndex, now: datetime) -> dict[str, Any]:
    located = grid.locate(body.lat, body.lon)
    codes = located.codes if located is not None else (None, None, None)
    threshold = body.threshold.model_dump(exclude_none=True) if body.threshold else None
    return {
        "id": body.id,
        "gateway_id": body.gateway_id,
        "vendor_code": body.vendor_code,
        "sensor_type": body.sensor_type,
        "name": body.name or body.id,
        "lat": body.lat,
        "lon": body.lon,
        "height_m": body.height_m,
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "linked_cameras": body.linked_cameras,
        "threshold": threshold or None,
        "heartbeat_interval_s": body.heartbeat_interval_s,
        "created_at": now,
        "updated_at": now,
    }
