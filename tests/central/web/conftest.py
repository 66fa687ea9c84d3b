"""The console in a real browser against a real central, broker and PostgreSQL database.

Debian's Chromium (``/usr/bin/chromium``, installed by scripts/setup.sh) driven by the
``playwright`` package from PyPI; its own browser download is never used. Screenshots go to
``test-artifacts/console/`` (gitignored) for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr

from gridwatch.api_server import ApiServer
from gridwatch.mosquitto import free_port
from gridwatch_central.auth.models import UserIn
from gridwatch_central.auth.scope import Role
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.messages import Snapshot
from tests.central.helpers import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    TestClient,
    alert_topic,
    make_alert,
    make_config,
)

CHROMIUM = Path(os.environ.get("GRIDWATCH_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"
PASSWORD = "console-test-password"
STREET_A = "500240101"  # 黄水镇
STREET_B = "500240102"  # 冷水镇
# Waits for what a person would wait for (a card arriving, a page loading); generous because
# the test machine is shared, and never a measure of speed (benchmarks/console.py is).
WAIT_MS = 20_000


@dataclass(frozen=True, slots=True)
class Frames:
    """A real street frame (the sample clip), annotated with a box as the edge draws it, and
    clean: what an operator looks at."""

    annotated: Snapshot
    clean: Snapshot


@pytest.fixture(scope="session")
def frames(vtest_clip: Path) -> Frames:
    capture = cv2.VideoCapture(str(vtest_clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, frame = capture.read()
    capture.release()
    assert ok, vtest_clip
    height, width = frame.shape[:2]
    clean = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
    boxed = frame.copy()
    cv2.rectangle(boxed, (300, 180), (420, 420), (0, 0, 255), 3)
    annotated = cv2.imencode(".jpg", boxed, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
    return Frames(
        annotated=Snapshot(data=annotated, width=width, height=height),
        clean=Snapshot(data=clean, width=width, height=height),
    )


@dataclass(frozen=True, slots=True)
class Console:
    url: str
    runtime: CentralRuntime
    edge: TestClient
    broker: BrokerConfig
    frames: Frames

    def publish(self, **fields: Any) -> None:
        """An edge's alert (real frames) through the broker: ingest, grid, incident."""
        alert = make_alert(
            snapshot=self.frames.annotated, clean_snapshot=self.frames.clean, **fields
        )
        self.edge.publish(alert_topic(self.broker, alert), alert)


USERS = {
    # name: (role, grid prefixes, departments)
    "op-a": (Role.OPERATOR, [STREET_A], []),
    "op-b": (Role.OPERATOR, [STREET_B], []),
    "disp": (Role.DISPATCHER, ["500240"], []),
    "jxj-01": (Role.DEPARTMENT_HANDLER, [], ["jxj"]),
}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (scripts/setup.sh does)")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def console(
    postgres_url: str, broker: BrokerConfig, tmp_path: Path, frames: Frames
) -> Iterator[Console]:
    """Central with its console on a free port, on PostgreSQL and the real broker."""
    runtime = CentralRuntime(make_config(postgres_url, broker, tmp_path))
    runtime.start()
    for name, (role, grids, departments) in USERS.items():
        runtime.auth.create_user(
            UserIn(
                username=name,
                password=SecretStr(PASSWORD),
                role=role,
                grid_prefixes=grids,
                departments=departments,
            )
        )
    server = ApiServer(runtime.app, "127.0.0.1", free_port())
    server.start()
    edge = TestClient(broker)
    try:
        yield Console(url=server.url, runtime=runtime, edge=edge, broker=broker, frames=frames)
    finally:
        edge.close()
        server.stop()
        runtime.stop()


@pytest.fixture
def page_factory(chromium: Browser, console: Console) -> Iterator[Callable[[str], Page]]:
    """New pages, each in its own browser context (its own cookies: its own person)."""
    contexts = []

    def new_page(username: str) -> Page:
        context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        login(page, console.url, username)
        return page

    yield new_page
    for context in contexts:
        context.close()


def login(page: Page, url: str, username: str) -> None:
    password = ADMIN_PASSWORD if username == ADMIN_USERNAME else PASSWORD
    page.goto(f"{url}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/console/login" not in url)


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# The evidence clip the clip tests cut from the sample footage with the edge's own code, and
# the edge monitor tests' fake edges (status and stats over the real broker).
from tests.central.clips.conftest import real_clip  # noqa: E402, F401
from tests.central.edges.test_monitor import edges  # noqa: E402, F401
