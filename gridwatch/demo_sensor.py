"""The demo's sensor beside the demo camera, linked to it (视频联动).

Once the camera has shown a frame, a simulated gateway plays the sensor's trace and central
asks the edge for the camera's picture and attaches it. By default the sensor is a gas
detector: gas always becomes a case at once, so a newcomer sees a sensor case with a camera
picture without any setup. In console mode (alerts wait for a person) it is a smoke detector:
its incident waits in the queue, picture attached, for the operator to verify.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pydantic import SecretStr

from gridwatch.sensor_gateway import SimulatedGateway
from gridwatch.sensor_traces import GAS_LEAK, SMOKE_ALARM, Trace
from gridwatch_central.auth.scope import Scope
from gridwatch_central.broker_accounts import AccountPlan, BrokerAccounts, DynsecControl
from gridwatch_central.cameras.models import CameraIn, GeoPointIn
from gridwatch_central.db import sensor_repository as sensor_rows
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.sensors.models import SensorIn
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.runtime import EdgeRuntime

DEMO_GATEWAY = "demo-gateway"


@dataclass(frozen=True, slots=True)
class DemoSensor:
    id: str
    sensor_type: str
    name: str
    trace: Trace


GAS = DemoSensor("demo-gas-1", "gas", "demo gas detector", GAS_LEAK)
SMOKE = DemoSensor("demo-smoke-1", "smoke", "demo smoke detector", SMOKE_ALARM)
# Waits for things that take well under a second on any machine; generous for a loaded one.
FRAME_WAIT_S = 30.0
PICTURE_WAIT_S = 15.0


@dataclass(frozen=True, slots=True)
class SensorDemoResult:
    sensor_id: str
    case_number: str | None
    picture_url: str | None


def gateway_account(admin: BrokerConfig) -> BrokerConfig:
    """A broker account for the demo's gateway, created at run time as an operator would
    (``gridwatch broker add-gateway``)."""
    with DynsecControl(admin) as control:
        credentials = BrokerAccounts(control, AccountPlan(admin.topics)).create_gateway(
            DEMO_GATEWAY
        )
    return admin.model_copy(
        update={"username": credentials.username, "password": SecretStr(credentials.password)}
    )


def register(
    central: CentralRuntime, demo: DemoSensor, camera_id: str, edge_id: str, at: tuple[float, float]
) -> None:
    """The demo camera in the registry (where it stands) and the sensor five metres off."""
    lat, lon = at
    camera = CameraIn(
        id=camera_id,
        edge_id=edge_id,
        name="demo camera",
        rtsp_url="rtsp://127.0.0.1/demo",  # the edge plays the sample clip; central never opens it
        location=GeoPointIn(lat=lat, lon=lon),
    )
    sensor = SensorIn(
        id=demo.id,
        gateway_id=DEMO_GATEWAY,
        vendor_code="DEMO",
        sensor_type=demo.sensor_type,
        name=demo.name,
        lat=lat + 0.00005,
        lon=lon,
        linked_cameras=[camera_id],
    )
    grid = central.grid_store.index
    with central.sessions() as session:
        central.camera_service.create(session, camera, grid, Scope.everything())
        central.sensors.registry.create(session, sensor, grid)


def play(
    central: CentralRuntime,
    demo: DemoSensor,
    edge: EdgeRuntime,
    camera_id: str,
    broker: BrokerConfig,
) -> SensorDemoResult:
    """The sensor's trace, once the camera has a frame; its case (if one opened) and its
    picture's API path."""
    deadline = time.monotonic() + FRAME_WAIT_S
    while time.monotonic() < deadline:
        camera = edge.live_camera(camera_id)
        if camera is not None and camera.latest_frame is not None:
            break
        time.sleep(0.1)
    gateway = SimulatedGateway(broker, DEMO_GATEWAY)
    gateway.start()
    try:
        gateway.play(demo.trace, demo.id)
        gateway.wait_for_receipts(PICTURE_WAIT_S)
    finally:
        gateway.close()
    return _wait_for_picture(central, demo.id, camera_id)


def _wait_for_picture(central: CentralRuntime, sensor_id: str, camera_id: str) -> SensorDemoResult:
    deadline = time.monotonic() + PICTURE_WAIT_S
    while time.monotonic() < deadline:
        with central.sessions() as session:
            found = sensor_rows.sensor_picture(session, sensor_id, camera_id)
        if found is not None:
            alert_id, case_number = found
            url = f"/api/v1/alerts/{alert_id}/links/{camera_id}/snapshot"
            return SensorDemoResult(sensor_id, case_number, url)
        time.sleep(0.2)
    return SensorDemoResult(sensor_id, None, None)
