"""IoT sensors: the registry (integrators and admins write, everyone reads in scope), bulk
import with a dry run, samples, 视频联动 links of an alert, and the HTTP way in for gateways
that cannot speak MQTT.

Who may do what: creating, replacing, deleting and importing sensors takes the integrator or
admin role; reading sensors, samples and links takes any role and shows only what lies in the
caller's grid scope (a sensor outside it answers 404, like a missing one). Posting batches
takes a gateway API key (role ``gateway``, named after its gateway id: it posts for that
gateway only) or an admin.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Protocol, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    Limit,
    Offset,
    ScopeDep,
    SessionDep,
    require_roles,
)
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.api.geography import GeographyContext, NoEchoRoute
from gridwatch_central.auth.scope import Principal, Role
from gridwatch_central.case_schemas import SensorMetricRowOut
from gridwatch_central.clock import Clock
from gridwatch_central.config import CentralConfig
from gridwatch_central.db import repository
from gridwatch_central.db import sensor_repository as sensor_rows
from gridwatch_central.metrics.report import sensor_row_out
from gridwatch_central.metrics.sensors import compute_sensor_metrics
from gridwatch_central.sensors.consumer import receipt_of
from gridwatch_central.sensors.importer import ImportFileError, parse_import
from gridwatch_central.sensors.models import (
    AlertLinkOut,
    ImportReport,
    SampleOut,
    SensorFields,
    SensorIn,
    SensorOut,
    SensorPage,
)
from gridwatch_central.sensors.registry import SensorExistsError, SensorInvalidError
from gridwatch_central.sensors.runtime import SensorRuntime
from gridwatch_central.services import evidence
from gridwatch_central.snapshots import SnapshotStore
from gridwatch_contract.sensors import MAX_SENSOR_PAYLOAD_BYTES, SensorReceipt

router = APIRouter(tags=["sensors"], route_class=NoEchoRoute)
gateway_router = APIRouter(tags=["sensors"])
SensorPath = Annotated[str, Path(max_length=64)]
WriterDep = Annotated[Principal, Depends(require_roles(Role.INTEGRATOR))]
GatewayDep = Annotated[Principal, Depends(require_roles(Role.GATEWAY))]
# Samples per request: a day of one sensor at the default one-a-minute sampling.
MAX_SAMPLES = 1440


class SensorContext(GeographyContext, Protocol):
    """Provided by ``CentralRuntime``."""

    @property
    def sensors(self) -> SensorRuntime: ...

    @property
    def snapshots(self) -> SnapshotStore: ...

    @property
    def config(self) -> CentralConfig: ...

    @property
    def clock(self) -> Clock: ...


def get_sensor_context(request: Request) -> SensorContext:
    context = cast(SensorContext, request.app.state.context)
    if not getattr(context, "sensors_enabled", False):
        raise ApiError(404, "sensors are disabled on this central (sensors.enabled: false)")
    return context


SensorsDep = Annotated[SensorContext, Depends(get_sensor_context)]


@router.post(
    "/sensors",
    status_code=201,
    response_model=SensorOut,
    responses=responses(403, 409, d409="A sensor with this id exists"),
)
def create_sensor(
    session: SessionDep, context: SensorsDep, _writer: WriterDep, body: SensorIn
) -> SensorOut:
    try:
        return context.sensors.registry.create(session, body, context.grid_store.index)
    except SensorExistsError as error:
        raise ApiError(409, str(error)) from None
    except SensorInvalidError as error:
        raise ApiError(422, str(error)) from None


@router.get("/sensors", response_model=SensorPage)
def list_sensors(
    session: SessionDep,
    context: SensorsDep,
    scope: ScopeDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    sensor_type: str | None = None,
    gateway_id: str | None = None,
    grid_code: Annotated[str | None, Query(description="A grid code of any level")] = None,
) -> SensorPage:
    """Registered sensors in the caller's scope, with their linked cameras and state."""
    return context.sensors.registry.list(
        session,
        scope,
        sensor_type=sensor_type,
        gateway_id=gateway_id,
        grid_code=grid_code,
        limit=limit,
        offset=offset,
    )


@router.get("/sensors/metrics", response_model=list[SensorMetricRowOut])
def sensor_metrics(
    session: SessionDep,
    context: SensorsDep,
    scope: ScopeDep,
    *,
    start: datetime,
    end: datetime,
    level: Annotated[int, Query(ge=0, le=3, description="Grid level; 0 = district")] = 3,
) -> list[SensorMetricRowOut]:
    """Alarms, review outcomes (false alarms after review) and offline time by sensor type
    and grid, for [start, end); the monthly report has them by community."""
    if end <= start:
        raise ApiError(422, "end must be after start")
    rows = compute_sensor_metrics(
        session, start=start, end=end, as_of=context.clock(), level=level, scope=scope
    )
    return [sensor_row_out(row) for row in rows]


@router.post(
    "/sensors/import",
    response_model=ImportReport,
    responses=responses(403, d422="The file cannot be read as a whole"),
)
async def import_sensors(
    request: Request,
    session: SessionDep,
    context: SensorsDep,
    _writer: WriterDep,
    dry_run: Annotated[bool, Query(description="Check and report only; write nothing")] = True,
) -> ImportReport:
    """CSV (text/csv) or JSON (application/json, a list of sensors). All rows or none: with
    any problem, or with ``dry_run`` (the default), nothing is written and the report says
    what would be created and updated."""
    content = await request.body()
    try:
        parsed = parse_import(content, request.headers.get("content-type", ""))
    except ImportFileError as error:
        raise ApiError(422, str(error)) from None
    registry, grid = context.sensors.registry, context.grid_store.index
    return await run_in_threadpool(
        lambda: registry.import_rows(session, parsed, grid, dry_run=dry_run)
    )


@router.get("/sensors/{sensor_id}", response_model=SensorOut, responses=responses(404))
def get_sensor(
    session: SessionDep, context: SensorsDep, scope: ScopeDep, sensor_id: SensorPath
) -> SensorOut:
    sensor = context.sensors.registry.get(session, sensor_id, scope)
    if sensor is None:
        raise ApiError(404, f"sensor {sensor_id} not found")
    return sensor


@router.put("/sensors/{sensor_id}", response_model=SensorOut, responses=responses(403, 404))
def replace_sensor(
    session: SessionDep,
    context: SensorsDep,
    _writer: WriterDep,
    sensor_id: SensorPath,
    body: SensorFields,
) -> SensorOut:
    try:
        sensor = context.sensors.registry.replace(
            session, sensor_id, body, context.grid_store.index
        )
    except SensorInvalidError as error:
        raise ApiError(422, str(error)) from None
    if sensor is None:
        raise ApiError(404, f"sensor {sensor_id} not found")
    return sensor


@router.delete(
    "/sensors/{sensor_id}",
    status_code=204,
    response_class=Response,
    responses=responses(403, 404),
)
def delete_sensor(
    session: SessionDep, context: SensorsDep, _writer: WriterDep, sensor_id: SensorPath
) -> Response:
    if not context.sensors.registry.delete(session, sensor_id):
        raise ApiError(404, f"sensor {sensor_id} not found")
    return Response(status_code=204)


@router.get(
    "/sensors/{sensor_id}/samples", response_model=list[SampleOut], responses=responses(404)
)
def list_samples(
    session: SessionDep,
    context: SensorsDep,
    scope: ScopeDep,
    sensor_id: SensorPath,
    *,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SAMPLES)] = 100,
) -> list[SampleOut]:
    """Kept readings, newest first: every state change and one per sample interval."""
    found = context.sensors.registry.samples(session, sensor_id, scope, since=since, limit=limit)
    if found is None:
        raise ApiError(404, f"sensor {sensor_id} not found")
    return found


@router.get(
    "/alerts/{alert_id}/links",
    response_model=list[AlertLinkOut],
    responses=responses(404, d404="No such alert in your scope"),
)
def list_links(
    session: SessionDep, _context: SensorsDep, scope: ScopeDep, alert_id: uuid.UUID
) -> list[AlertLinkOut]:
    """视频联动: the linked cameras asked for evidence of a sensor alert, and what came back
    (attached, or why not: edge_offline, camera_offline, timeout ...)."""
    if repository.get_alert(session, scope, alert_id) is None:
        raise ApiError(404, f"alert {alert_id} not found")
    return evidence.links_of(session, [alert_id]).get(alert_id, [])


@router.get(
    "/alerts/{alert_id}/links/{camera_id}/snapshot",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The linked camera's picture"},
        **responses(404, d404="No such alert in your scope, or no picture from that camera"),
    },
)
def get_link_snapshot(
    session: SessionDep,
    context: SensorsDep,
    scope: ScopeDep,
    alert_id: uuid.UUID,
    camera_id: SensorPath,
) -> Response:
    if repository.get_alert(session, scope, alert_id) is None:
        raise ApiError(404, f"alert {alert_id} not found")
    found = [row for row in sensor_rows.links_of(session, [alert_id]) if row.camera_id == camera_id]
    image = None
    if found and found[0].snapshot_sha256 is not None:
        image = context.snapshots.read(found[0].snapshot_sha256)
    if image is None:
        raise ApiError(404, f"no picture of camera {camera_id} for alert {alert_id}")
    return Response(content=image, media_type="image/jpeg")


@gateway_router.post(
    "/sensors/batches",
    response_model=SensorReceipt,
    responses={
        **responses(403, 413, d403="Not a gateway key, or a batch of another gateway"),
        503: {"description": "The database is unavailable; send the batch again later"},
    },
)
async def post_batch(request: Request, context: SensorsDep, principal: GatewayDep) -> SensorReceipt:
    """One ``SensorBatch`` (contract v1, the MQTT message's JSON), for gateways that cannot
    speak MQTT. Stored once per message_id; the receipt is the one MQTT gateways get."""
    payload = await request.body()
    if len(payload) > MAX_SENSOR_PAYLOAD_BYTES:
        raise ApiError(413, f"a batch is at most {MAX_SENSOR_PAYLOAD_BYTES} bytes")
    ingest = context.sensors.ingest
    # A gateway's batch goes in as if published on its own topic: one naming another gateway
    # is quarantined topic_mismatch, exactly as the broker's ACL and ingest treat MQTT.
    check = principal.role is Role.GATEWAY
    try:
        topic = context.config.broker.topics.sensor_batches(principal.name) if check else "http"
    except ValueError:
        raise ApiError(403, f"gateway key name {principal.name!r} is not a gateway id") from None
    try:
        outcome = await run_in_threadpool(ingest.handle, topic, payload, check_topic=check)
    except Exception as error:  # an outage of the database: the gateway keeps it and resends
        name = type(error).__name__
        raise ApiError(503, f"could not store the batch now ({name}); retry") from None
    receipt = receipt_of(outcome)
    if receipt is None:
        raise ApiError(422, f"{outcome.code}: {outcome.reason}")
    return receipt
