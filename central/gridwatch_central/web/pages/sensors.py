"""The sensor registry in the console: every sensor in the viewer's grids with its type,
place, last reading, online or offline and thresholds; integrators and admins register,
change and delete sensors here as through ``/api/v1/sensors`` (the same registry service)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from gridwatch_central.auth.scope import Role
from gridwatch_central.sensors.directory import effective_threshold
from gridwatch_central.sensors.importer import ImportFileError, parse_import
from gridwatch_central.sensors.models import ImportReport, SensorFields, SensorIn, SensorOut
from gridwatch_central.sensors.registry import SensorExistsError, SensorInvalidError
from gridwatch_central.sensors.types import SensorType, Threshold
from gridwatch_central.web.deps import Console, ConsoleDep, PosterDep, ViewerDep
from gridwatch_central.web.session import NotAllowedError, Viewer
from gridwatch_central.web.views import GridStep, form_items, grid_path

router = APIRouter(prefix="/console")
# Sensors listed on one page; a district registers a few thousand, found by type or grid.
LIST_LIMIT = 500
BACK = "/console/sensors"
# Readings on a sensor's page: a day of one sample a minute (the type's sample interval) in
# the chart, the latest few as numbers below it.
SAMPLES_SHOWN = 1440
TABLE_ROWS = 20
WRITERS = (Role.INTEGRATOR, Role.ADMIN)
Text = Annotated[str, Form(max_length=2000)]


@dataclass(frozen=True, slots=True)
class SensorRow:
    """One line of the registry: the sensor, its type and the threshold in force."""

    sensor: SensorOut
    kind: SensorType | None
    threshold: Threshold | None
    grid: list[GridStep]


def _writer(viewer: PosterDep) -> Viewer:
    if viewer.role not in WRITERS:
        raise NotAllowedError
    return viewer


WriterDep = Annotated[Viewer, Depends(_writer)]


def _page(
    request: Request,
    console: Console,
    viewer: Viewer,
    *,
    sensor_type: str = "",
    editing: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    report: ImportReport | None = None,
) -> Response:
    context = console.context
    if not context.sensors_enabled:
        return console.renderer.page(
            request, viewer, "sensors.html", rows=[], types={}, disabled=True, writer=False
        )
    sensors = context.sensors
    types = sensors.directory.types.types
    with context.sessions() as session:
        page = sensors.registry.list(
            session,
            viewer.scope,
            sensor_type=sensor_type or None,
            gateway_id=None,
            grid_code=None,
            limit=LIST_LIMIT,
            offset=0,
        )
    index = context.grid_store.index
    rows = [_row(sensor, types.get(sensor.sensor_type), index) for sensor in page.items]
    edited = next((r.sensor for r in rows if r.sensor.id == editing), None)
    return console.renderer.page(
        request,
        viewer,
        "sensors.html",
        status_code=400 if error else 200,
        rows=rows,
        total=page.total,
        types=types,
        sensor_type=sensor_type,
        disabled=False,
        writer=viewer.role in WRITERS,
        edited=edited,
        form=form or (_form_of(edited) if edited is not None else {}),
        error=error,
        report=report,
    )


def _row(sensor: SensorOut, kind: SensorType | None, index: Any) -> SensorRow:
    override = sensor.threshold.model_dump() if sensor.threshold is not None else None
    threshold = effective_threshold(kind, override) if kind is not None else None
    codes = (sensor.grid_l1_code, sensor.grid_l2_code, sensor.grid_l3_code)
    return SensorRow(sensor=sensor, kind=kind, threshold=threshold, grid=grid_path(index, codes))


def _form_of(sensor: SensorOut) -> dict[str, str]:
    """A registered sensor as its edit form's values."""
    threshold = sensor.threshold.model_dump() if sensor.threshold is not None else {}

    def text(value: object) -> str:
        return "" if value is None else str(value)

    return {
        "id": sensor.id,
        "gateway_id": sensor.gateway_id,
        "vendor_code": sensor.vendor_code,
        "sensor_type": sensor.sensor_type,
        "name": sensor.name,
        "lat": text(sensor.lat),
        "lon": text(sensor.lon),
        "height_m": text(sensor.height_m),
        "linked_cameras": ", ".join(sensor.linked_cameras or []),
        "alarm": text(threshold.get("alarm")),
        "clear": text(threshold.get("clear")),
        "debounce_s": text(threshold.get("debounce_s")),
        "heartbeat_interval_s": text(sensor.heartbeat_interval_s),
    }


def _fields(form: dict[str, str]) -> dict[str, Any]:
    """The form as ``SensorFields`` takes it: blanks are "the type's default"."""
    threshold = {
        key: form[key] for key in ("alarm", "clear", "debounce_s") if form.get(key, "").strip()
    }
    cameras = form_items(form.get("linked_cameras", ""))
    return {
        "gateway_id": form["gateway_id"].strip(),
        "vendor_code": form["vendor_code"].strip(),
        "sensor_type": form["sensor_type"],
        "name": form.get("name", "").strip(),
        "lat": form["lat"],
        "lon": form["lon"],
        "height_m": form.get("height_m") or None,
        "linked_cameras": cameras or None,
        "threshold": threshold or None,
        "heartbeat_interval_s": form.get("heartbeat_interval_s") or None,
    }


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {key: str(value)[:200] for key, value in data.items() if isinstance(value, str)}


@router.get("/sensors", response_class=HTMLResponse)
def sensors_page(
    request: Request,
    console: ConsoleDep,
    viewer: ViewerDep,
    sensor_type: str = "",
    edit: str | None = None,
) -> Response:
    return _page(request, console, viewer, sensor_type=sensor_type, editing=edit)


@router.get("/sensors/{sensor_id}", response_class=HTMLResponse)
def sensor_page(
    request: Request, console: ConsoleDep, viewer: ViewerDep, sensor_id: str
) -> Response:
    """One sensor: what it is, and its recent readings against its thresholds (a chart and
    the latest values): what an operator looks at before verifying its alarm."""
    context = console.context
    if not context.sensors_enabled:
        return _page(request, console, viewer)
    registry = context.sensors.registry
    with context.sessions() as session:
        sensor = registry.get(session, sensor_id, viewer.scope)
        samples = registry.samples(
            session, sensor_id, viewer.scope, since=None, limit=SAMPLES_SHOWN
        )
    if sensor is None or samples is None:
        return console.renderer.page(
            request, viewer, "error.html", status_code=404, message_key="error.not_found"
        )
    kind = context.sensors.directory.types.types.get(sensor.sensor_type)
    row = _row(sensor, kind, context.grid_store.index)
    local = console.renderer.local_time
    chart = {
        # Central's local time, without an offset: the chart shows the times the table
        # shows, whatever the browser's own time zone.
        "points": [[local(s.observed_at, "%Y-%m-%d %H:%M:%S"), s.value] for s in reversed(samples)],
        "alarm": row.threshold.alarm if row.threshold else None,
        "clear": row.threshold.clear if row.threshold else None,
        "unit": kind.unit if kind else None,
    }
    return console.renderer.page(
        request, viewer, "sensor.html", row=row, samples=samples[:TABLE_ROWS], chart=chart
    )


@router.post("/sensors")
async def create_sensor(request: Request, console: ConsoleDep, viewer: WriterDep) -> Response:
    form = await _form(request)
    context = console.context
    try:
        body = SensorIn.model_validate({"id": form.get("id", "").strip(), **_fields(form)})
        with context.sessions() as session:
            context.sensors.registry.create(session, body, context.grid_store.index)
    except (ValidationError, SensorExistsError, SensorInvalidError, KeyError) as error:
        return _page(request, console, viewer, error=_reason(error), form=form)
    return RedirectResponse(BACK, status_code=303)


@router.post("/sensors/{sensor_id}")
async def replace_sensor(
    request: Request, console: ConsoleDep, viewer: WriterDep, sensor_id: str
) -> Response:
    form = await _form(request)
    context = console.context
    try:
        body = SensorFields.model_validate(_fields(form))
        with context.sessions() as session:
            found = context.sensors.registry.replace(
                session, sensor_id, body, context.grid_store.index
            )
    except (ValidationError, SensorInvalidError, KeyError) as error:
        return _page(request, console, viewer, editing=sensor_id, error=_reason(error), form=form)
    if found is None:
        return _page(request, console, viewer, error=f"sensor {sensor_id} not found")
    return RedirectResponse(BACK, status_code=303)


@router.post("/upload/sensors/import")
async def import_sensors(
    request: Request,
    console: ConsoleDep,
    viewer: WriterDep,
    *,
    sensors_file: Annotated[UploadFile, File()],
    apply: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Bulk import (CSV or JSON, as ``POST /api/v1/sensors/import``): a dry run unless
    "apply" is ticked, and even then all rows or none; the report shows what would change."""
    context = console.context
    content = await sensors_file.read(context.config.console.max_photo_bytes + 1)
    name = (sensors_file.filename or "").lower()
    kind = "application/json" if name.endswith(".json") else "text/csv"
    try:
        parsed = parse_import(content, kind)
    except ImportFileError as error:
        return _page(request, console, viewer, error=str(error))
    registry, grid = context.sensors.registry, context.grid_store.index

    def run() -> ImportReport:
        with context.sessions() as session:
            return registry.import_rows(session, parsed, grid, dry_run=not apply)

    report = await run_in_threadpool(run)
    return _page(request, console, viewer, report=report)


@router.post("/sensors/{sensor_id}/delete")
def delete_sensor(
    request: Request, console: ConsoleDep, viewer: WriterDep, sensor_id: str
) -> Response:
    context = console.context
    with context.sessions() as session:
        deleted = context.sensors.registry.delete(session, sensor_id)
    if not deleted:
        return _page(request, console, viewer, error=f"sensor {sensor_id} not found")
    return RedirectResponse(BACK, status_code=303)


def _reason(error: Exception) -> str:
    """What a person can act on: the field and its problem, not pydantic's whole report."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
    if isinstance(error, KeyError):
        return f"missing field {error}"
    return str(error)
