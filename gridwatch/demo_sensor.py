"""The demo's sensor: a gas detector beside the demo camera, linked to it (视频联动).

Once the camera has shown a frame, a simulated gateway plays a gas leak; gas always becomes a
case at once, and central asks the edge for the camera's picture and attaches it. The demo
then prints the case and where its picture is, so a newcomer sees a sensor case with a camera
picture without any setup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pydantic import SecretStr

from gridwatch.sensor_gateway import SimulatedGateway
from gridwatch.sensor_traces import GAS_LEAK
from gridwatch_central.broker_accounts import AccountPlan, BrokerAccounts, DynsecControl
from gridwatch_central.cameras.models import CameraIn, GeoPointIn
from gridwatch_central.db import sensor_repository as sensor_rows
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.sensors.models import SensorIn
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.runtime import EdgeRuntime

DEMO_GATEWAY = "demo-gateway"
DEMO_SENSOR = "demo-gas-1"
# Waits for things that take well under a second on any machine; generous for a loaded one.
FRAME_WAIT_S = 30.0
PICTURE_WAIT_S = 15.0


@dataclass(frozen=True, slots=True)
class SensorDemoResult:
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


def register(central: CentralRuntime, camera_id: str, edge_id: str, lat: float, lon: float) -> None:
    """The demo camera in the registry (where it stands) and a gas sensor five metres off."""
    camera = CameraIn(
        id=camera_id,
        edge_id=edge_id,
        name="demo camera",
        rtsp_url="rtsp://127.0.0.1/demo",  # the edge plays the sample clip; central never opens it
        location=GeoPointIn(lat=lat, lon=lon),
    )
    sensor = SensorIn(
        id=DEMO_SENSOR,
        gateway_id=DEMO_GATEWAY,
        vendor_code="DEMO-GAS",
        sensor_type="gas",
        name="demo gas detector",
        lat=lat + 0.00005,
        lon=lon,
        linked_cameras=[camera_id],
    )
    grid = central.grid_store.index
    with central.sessions() as session:
        central.camera_service.create(session, camera, grid)
        central.sensors.registry.create(session, sensor, grid)


def play_gas_leak(
    central: CentralRuntime, edge: EdgeRuntime, camera_id: str, broker: BrokerConfig
) -> SensorDemoResult:
    """The gas leak, once the camera has a frame; the case and its picture's API path."""
    deadline = time.monotonic() + FRAME_WAIT_S
    while time.monotonic() < deadline:
        camera = edge.live_camera(camera_id)
        if camera is not None and camera.latest_frame is not None:
            break
        time.sleep(0.1)
    gateway = SimulatedGateway(broker, DEMO_GATEWAY)
    gateway.start()
    try:
        gateway.play(GAS_LEAK, DEMO_SENSOR)
        gateway.wait_for_receipts(PICTURE_WAIT_S)
    finally:
        gateway.close()
    return _wait_for_picture(central, camera_id)


def _wait_for_picture(central: CentralRuntime, camera_id: str) -> SensorDemoResult:
    deadline = time.monotonic() + PICTURE_WAIT_S
    while time.monotonic() < deadline:
        with central.sessions() as session:
            found = sensor_rows.sensor_case_picture(session, DEMO_SENSOR, camera_id)
        if found is not None and found[1] is not None:
            case_number, alert_id = found
            url = f"/api/v1/alerts/{alert_id}/links/{camera_id}/snapshot"
            return SensorDemoResult(case_number, url)
        time.sleep(0.2)
    return SensorDemoResult(None, None)
