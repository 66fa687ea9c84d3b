"""Builders for central's tests: real alerts, a real JPEG, a config and an MQTT test client."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from gridwatch_central.config import (
    AuthConfig,
    BootstrapAdmin,
    CentralConfig,
    OnboardingConfig,
    SensorsConfig,
    load_central_config,
)
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import AlertMessage, GeoPoint, Snapshot
from tests.contract.factories import make_alert as make_contract_alert

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_GRID = REPO_ROOT / "configs" / "grid" / "example-district.geojson"
HUANGSHUI_GRID = REPO_ROOT / "configs" / "grid" / "huangshui.geojson"
HUANGSHUI_CAMERAS = REPO_ROOT / "configs" / "cameras.huangshui.yaml"
EXAMPLE_ROUTING = REPO_ROOT / "configs" / "routing.yaml"
SENSOR_TYPES = REPO_ROOT / "configs" / "sensor_types.yaml"
DEMO_POINT = GeoPoint(lat=30.2290, lon=108.3985)
DEMO_CODES = ("500240101000000", "500240101001000", "500240101001002")
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "test-admin-password"

# An 8x8 JPEG encoded once with OpenCV (cv2.imencode, quality 50), so tests need no encoder.
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4"
    "UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRol"
    "JicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ip"
    "qrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAA"
    "AAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLR"
    "ChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaX"
    "mJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEA"
    "PwDF8Zf8uf8AwP8A9looorlwf8CPz/M6cX/Gf9dD/9k="
)


def make_alert(**overrides: Any) -> AlertMessage:
    """A valid ``new`` alert at the demo camera with the real JPEG; override any field."""
    fields: dict[str, Any] = {
        "location": DEMO_POINT,
        "snapshot": Snapshot(data=TINY_JPEG, width=8, height=8),
    }
    fields.update(overrides)
    return make_contract_alert(**fields)


def alert_topic(broker: BrokerConfig, alert: AlertMessage) -> str:
    return broker.topics.alert(alert.edge_id, alert.camera_id, alert.event_type.value)


def make_config(database_url: str, broker: BrokerConfig, tmp_path: Path) -> CentralConfig:
    return CentralConfig(
        database_url=database_url,
        broker=broker,
        # Unique per test: sessions of one test must never resume in another.
        client_id=f"central-{uuid.uuid4().hex[:12]}",
        session_expiry_s=30,
        grid_file=EXAMPLE_GRID,
        routing_file=EXAMPLE_ROUTING,
        snapshot_dir=tmp_path / "snapshots",
        auth=AuthConfig(
            jwt_secret="test-secret-" + uuid.uuid4().hex,
            bootstrap_admin=BootstrapAdmin(username=ADMIN_USERNAME, password=ADMIN_PASSWORD),
        ),
        sensors=SensorsConfig(types_file=SENSOR_TYPES),
        onboarding=test_onboarding(tmp_path),
    )


def test_onboarding(tmp_path: Path) -> OnboardingConfig:
    """A camera key of the test's own, and the camera networks the tests use allow-listed
    explicitly (loopback for the RTSP servers the tests start, 10/8 for example cameras)."""
    return OnboardingConfig(
        key_file=tmp_path / "camera.key",
        url_policy=UrlPolicy(allow_cidrs=[IPv4Network("127.0.0.0/8"), IPv4Network("10.0.0.0/8")]),
    )


def huangshui_config(database_url: str, broker: BrokerConfig, tmp_path: Path) -> CentralConfig:
    """The 黄水镇 example deployment's own config file, on the test's database and broker, with
    its relative paths rebased on the repository and a known admin."""
    config = load_central_config(REPO_ROOT / "configs" / "central.huangshui.yaml")
    assert config.categories_file is not None
    assert config.cameras_file is not None
    return config.model_copy(
        update={
            "database_url": database_url,
            "broker": broker,
            "client_id": f"central-huangshui-{uuid.uuid4().hex[:12]}",
            "session_expiry_s": 0,
            "snapshot_dir": tmp_path / "snapshots",
            "grid_file": REPO_ROOT / config.grid_file,
            "categories_file": REPO_ROOT / config.categories_file,
            "cameras_file": REPO_ROOT / config.cameras_file,
            "onboarding": config.onboarding.model_copy(
                update={"key_file": tmp_path / "camera.key"}
            ),
            "routing_file": REPO_ROOT / config.routing_file,
            "sensors": SensorsConfig(types_file=SENSOR_TYPES),
            "auth": AuthConfig(
                jwt_secret="test-secret-" + uuid.uuid4().hex,
                bootstrap_admin=BootstrapAdmin(username=ADMIN_USERNAME, password=ADMIN_PASSWORD),
            ),
        }
    )


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout_s} s")


class TestClient:
    """A plain MQTT 5 client playing an edge: publishes alerts, collects acks."""

    __test__ = False  # not a pytest test class

    def __init__(self, broker: BrokerConfig) -> None:
        self.received: list[tuple[str, bytes]] = []
        self._client = make_client(broker, f"edge-test-{uuid.uuid4().hex[:12]}")
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.received.append((message.topic, bytes(message.payload)))

    def subscribe(self, topic: str) -> None:
        result, mid = self._client.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS, mid
        time.sleep(0.2)  # let SUBACK arrive before anything is published to the topic

    def publish(self, topic: str, payload: bytes | AlertMessage) -> None:
        data = encode_message(payload) if isinstance(payload, AlertMessage) else payload
        self._client.publish(topic, data, qos=1).wait_for_publish(timeout=5)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
