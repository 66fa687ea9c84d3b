"""The console's pages in a real browser: every page fits a 1280 px screen and shows no bare
label key in either language; the edges page shows each camera's health, links its live
picture and refreshes itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from gridwatch_contract.messages import EdgeAvailability, EventType
from tests.central.api.clients import admin_client
from tests.central.edges.test_monitor import FakeEdge, camera, stats
from tests.central.sensors.helpers import register
from tests.central.web.conftest import WAIT_MS, Console, screenshot
from tests.central.web.test_console_browser import IN_A, PARKING, _incident_of

pytestmark = pytest.mark.postgres
NewPage = Callable[[str], Page]
CROWD = {"event_type": EventType.CROWD, "rule_id": "crowd-1"}


# A label key shown as itself: ``translate`` shows an unknown key rather than failing.
LABEL_KEY = re.compile(
    r"\b(?:app|nav|live|login|role|scope|grid|queue|card|link|clip|incident|event|state|column"
    r"|action|done|case|level|time|form|filter|map|edges|sensors|stats|group|metric|monthly"
    r"|admin|error)\.[a-z0-9_.]+\b"
)
NARROW: ViewportSize = {"width": 1280, "height": 800}
# What sticks out on the right, for the failure message.
WIDEST = """() => Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .slice(0, 5)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def test_every_page_fits_a_1280_screen_and_shows_no_label_key_in_either_language(
    console: Console, page_factory: NewPage
) -> None:
    api = admin_client(console.runtime)
    console.publish(camera_id="cam-p1", location=IN_A, **PARKING)
    incident = _incident_of(api, "cam-p1")
    case = api.post(f"/api/v1/incidents/{incident['id']}/verify", json={}).json()["case"]
    console.publish(camera_id="cam-p2", location=IN_A, **CROWD)
    register(console.runtime, "smoke-p3", "smoke", lat=IN_A.lat, lon=IN_A.lon)
    admin = page_factory("admin")
    admin.set_viewport_size(NARROW)
    pages = [
        "/console/queue",
        "/console/cases",
        f"/console/cases/{case['id']}",
        "/console/map",
        "/console/sensors",
        "/console/sensors/smoke-p3",
        "/console/edges",
        "/console/stats",
        "/console/stats?group_by=camera&level=3",
        "/console/reports/monthly",
        "/console/admin",
    ]
    for language in ("en", "zh-CN"):
        admin.goto(f"{console.url}/console/language/{language}?next=/console/queue")
        for path in pages:
            admin.goto(f"{console.url}{path}")
            admin.wait_for_load_state("networkidle")
            text = admin.locator("body").inner_text()
            assert not LABEL_KEY.findall(text), (language, path, LABEL_KEY.findall(text))
            # Wide tables scroll inside their own box; the page never scrolls sideways.
            width = admin.evaluate("() => document.documentElement.scrollWidth")
            assert width <= NARROW["width"], (language, path, width, admin.evaluate(WIDEST))
        if language == "en":
            admin.goto(f"{console.url}/console/stats?group_by=camera&level=3")
            screenshot(admin, "statistics-1280-en")


def test_the_edges_page_shows_each_cameras_health_and_links_its_live_picture(
    console: Console, page_factory: NewPage, edges: list[FakeEdge]
) -> None:
    edge = FakeEdge(console.broker, "edge-w1")
    edges.append(edge)
    edge.publish_status(EdgeAvailability.ONLINE)
    edge.publish_stats(
        stats(
            "edge-w1",
            [
                camera("cam-w1", analysed_fps=4.5),
                camera(
                    "cam-w2",
                    online=False,
                    connection="offline",
                    analysed_fps=0.0,
                    last_error="rtsp: connection refused",
                    last_error_at=datetime.now(UTC),
                ),
            ],
        )
    )
    admin = page_factory("admin")
    admin.goto(f"{console.url}/console/edges")
    section = admin.locator("section.edge[data-edge='edge-w1']")
    expect(section).to_be_visible()
    expect(section.locator("h2 .pill.online")).to_be_visible()
    working = section.locator("tr[data-camera='cam-w1']")
    expect(working.locator("td.fps")).to_contain_text("4.5")
    expect(working.locator(".pill.online")).to_be_visible()
    broken = section.locator("tr[data-camera='cam-w2']")
    expect(broken.locator(".pill.offline")).to_be_visible()
    expect(broken.locator("td.last-error")).to_contain_text("connection refused")
    link = working.locator("a.live-snapshot")
    assert link.get_attribute("href") == "/console/edges/cameras/cam-w1/live-snapshot"
    screenshot(admin, "edges")
    # The list refreshes itself: the next stats show without a reload.
    edge.publish_stats(stats("edge-w1", [camera("cam-w1", analysed_fps=2.5)]))
    expect(working.locator("td.fps")).to_contain_text("2.5", timeout=WAIT_MS)
    # A handler's role handles cases, not equipment.
    handler = page_factory("jxj-01")
    assert handler.request.get(f"{console.url}/console/edges").status == 403


def test_a_bulk_sensor_import_is_a_dry_run_first_then_all_or_nothing(
    console: Console, page_factory: NewPage, tmp_path: Path
) -> None:
    header = "id,gateway_id,vendor_code,sensor_type,lat,lon,linked_cameras,alarm,clear\n"
    good = f"gas-1,gw-1,GT-1,gas,{IN_A.lat},{IN_A.lon},,30,12\n"
    bad = f"gas-2,gw-1,GT-1,lidar,{IN_A.lat},{IN_A.lon},,,\n"
    mixed, clean = tmp_path / "mixed.csv", tmp_path / "clean.csv"
    mixed.write_text(header + good + bad, "utf-8")
    clean.write_text(header + good, "utf-8")
    admin = page_factory("admin")
    admin.goto(f"{console.url}/console/sensors")
    form = admin.locator("#sensor-import form")
    form.locator("input[name=sensors_file]").set_input_files(str(mixed))
    form.locator("button[type=submit]").click()
    report = admin.locator("#import-report")
    expect(report).to_have_attribute("data-applied", "no")
    expect(report.locator("table.problems tbody tr")).to_have_count(1)
    expect(report.locator("table.problems")).to_contain_text("lidar")
    expect(admin.locator("tr[data-sensor]")).to_have_count(0)
    screenshot(admin, "sensor-import")

    form.locator("input[name=sensors_file]").set_input_files(str(clean))
    form.locator("input[name=apply]").check()
    form.locator("button[type=submit]").click()
    expect(report).to_have_attribute("data-applied", "yes")
    expect(admin.locator("tr[data-sensor='gas-1']")).to_contain_text("30 %LEL")
