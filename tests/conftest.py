"""Fixtures for tests against the real things: broker, databases, models and footage.

Paths and servers come from the environment so that CI, developers and users point them at
their own copies; nothing here mocks a broker, a database or a model.

- ``GRIDWATCH_MODELS_DIR`` / ``GRIDWATCH_SAMPLES_DIR`` / ``GRIDWATCH_IMAGES_DIR``: default to
  ``../shared/{models,video,images}`` beside the checkout.
- ``GRIDWATCH_TEST_MQTT_URL``: default ``mqtt://127.0.0.1:1883``.
- ``GRIDWATCH_TEST_POSTGRES_URL``: an admin URL; each test gets a fresh database created from it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import DetectorConfig
from gridwatch_edge.detector import Detector, load_detector
from tests.central.helpers import TestClient, make_config

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("GRIDWATCH_SHARED_DIR", REPO_ROOT.parent / "shared"))
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _asset_dir(variable: str, default: Path) -> Path:
    directory = Path(os.environ.get(variable, default))
    if not directory.is_dir():
        pytest.fail(f"{variable}={directory} is not a directory; point it at the real assets")
    return directory


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return _asset_dir("GRIDWATCH_MODELS_DIR", SHARED_DIR / "models")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return _asset_dir("GRIDWATCH_SAMPLES_DIR", SHARED_DIR / "video")


@pytest.fixture(scope="session")
def images_dir() -> Path:
    return _asset_dir("GRIDWATCH_IMAGES_DIR", SHARED_DIR / "images")


@pytest.fixture(scope="session")
def vtest_clip(samples_dir: Path) -> Path:
    return samples_dir / "vtest.avi"


@pytest.fixture(scope="session")
def manifest_dirs() -> list[Path]:
    return [REPO_ROOT / "models"]


@pytest.fixture(scope="session")
def yolox(models_dir: Path, manifest_dirs: list[Path]) -> Detector:
    """The real YOLOX-Nano detector, loaded once per session."""
    return load_detector(DetectorConfig(), models_dir=models_dir, manifest_dirs=manifest_dirs)


@pytest.fixture(scope="session")
def broker_address() -> BrokerConfig:
    config = BrokerConfig.from_url(
        os.environ.get("GRIDWATCH_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    )
    try:
        socket.create_connection((config.host, config.port), timeout=2).close()
    except OSError as error:
        pytest.fail(f"no MQTT broker at {config.display()} ({error}); start mosquitto")
    return config


@pytest.fixture
def broker(broker_address: BrokerConfig) -> BrokerConfig:
    """The real broker with a topic prefix of this test's own, so tests never see each other."""
    return broker_address.model_copy(update={"topic_prefix": f"gwtest-{uuid.uuid4().hex[:12]}"})


@pytest.fixture
def edge(broker: BrokerConfig) -> Iterator[TestClient]:
    """A plain MQTT client on the test's broker playing an edge: publishes once, never resends."""
    client = TestClient(broker)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gridwatch.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin_url = os.environ.get("GRIDWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"gwtest_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as error:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {admin_url} is not reachable: {error}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def central_runtime(
    sqlite_url: str, broker: BrokerConfig, tmp_path: Path
) -> Iterator[CentralRuntime]:
    """A real central on SQLite listening on the test's broker: it stores and acks alerts, so
    the edge outbox lets them go."""
    runtime = CentralRuntime(make_config(sqlite_url, broker, tmp_path))
    runtime.start()
    yield runtime
    runtime.stop()
