"""An integrator onboards cameras in the console and draws their zones, in a real browser.

A real GStreamer RTSP camera (tools/rtsp_server.py, the sample clip), a real edge process
registered with central and started from its bootstrap file with no camera, the real broker
and central on PostgreSQL: the camera reaches the edge from central, the picture the editor
draws on comes from that edge over MQTT, what is saved is what central stores, and the edge
reports it applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from pydantic import SecretStr

from gridwatch_central.auth.models import UserIn
from gridwatch_central.auth.scope import Role
from tests.central.api.clients import admin_client
from tests.central.helpers import DEMO_POINT
from tests.central.web.conftest import PASSWORD, WAIT_MS, Console, screenshot
from tests.e2e.onboarding import STEP_TIMEOUT_S, EdgeProcess, wait_analysing, wait_for_state
from tests.edge.sources.rtsp_server import RtspServer

pytestmark = [pytest.mark.postgres, pytest.mark.rtsp]

NewPage = Callable[[str], Page]
CAMERA = "gate-east"
EDGE = "edge-console"
INTEGRATOR = "installer"
DISTRICT = "500240"  # 石柱县: both streets of the example grid
# The clip is 768x576: the zone's corners in its pixels, and as the edge stores them.
FRAME = (768, 576)
CORNERS_PX = [(100, 300), (400, 280), (420, 520), (90, 540)]
DOOR = {"id": "door", "polygon": [(0, 0), (384, 0), (384, 288)], "units": "px"}


@pytest.fixture
def camera(samples_dir: Path) -> Iterator[str]:
    server = RtspServer(samples_dir / "vtest_h264.mp4", mount="/gate")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def script_errors() -> Iterator[list[str]]:
    """Errors thrown by the pages' scripts: a test with any fails."""
    errors: list[str] = []
    yield errors
    assert errors == []


def _integrator_page(page_factory: NewPage, errors: list[str]) -> Page:
    page = page_factory(INTEGRATOR)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def _integrator(console: Console) -> None:
    console.runtime.auth.create_user(
        UserIn(
            username=INTEGRATOR,
            password=SecretStr(PASSWORD),
            role=Role.INTEGRATOR,
            grid_prefixes=[DISTRICT],
        )
    )


def _register(console: Console, url: str) -> None:
    """The integrator and the camera, on an edge central knows only by name."""
    _integrator(console)
    body = {
        "id": CAMERA,
        "edge_id": EDGE,
        "name": "东门路口",
        "rtsp_url": url,
        "location": {"lat": DEMO_POINT.lat, "lon": DEMO_POINT.lon},
    }
    created = admin_client(console.runtime).post("/api/v1/cameras", json=body)
    assert created.status_code == 201, created.text


@contextmanager
def _edge_registered_in(page: Page, work: Path) -> Iterator[None]:
    """The edge registered on the console's edges page, and started from the bootstrap file
    and password the page shows (``gridwatch edge run``, a real process), with no camera."""
    page.locator("details.register summary").click()
    form = page.locator("#edge-register")
    form.locator("input[name=id]").fill(EDGE)
    form.locator("input[name=name]").fill("东门边缘盒")
    form.locator("button[type=submit]").click()
    edge = EdgeProcess(
        page.locator("#edge-bootstrap").inner_text(),
        page.locator("#edge-password").inner_text(),
        work,
        camera_url_policy={"allow_cidrs": ["127.0.0.0/8"]},  # the test camera is on loopback
    )
    edge.start()
    try:
        yield
    finally:
        edge.stop()


def _add_camera_in(page: Page, url: str) -> None:
    """The camera form, as an integrator fills it in."""
    page.get_by_role("link", name="新增摄像机").click()
    form = page.locator("#camera-form")
    fields = {
        "id": CAMERA,
        "name": "东门路口",
        "edge_id": EDGE,
        "rtsp_url": url,
        "lat": str(DEMO_POINT.lat),
        "lon": str(DEMO_POINT.lon),
        "analysis_fps": "2",
    }
    for name, value in fields.items():
        form.locator(f"input[name={name}]").fill(value)
    screenshot(page, "camera-form")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/console/cameras/{CAMERA}/config")


def _click_at(
    page: Page, x_px: float, y_px: float, frame: tuple[int, int] = FRAME, *, double: bool = False
) -> None:
    """A click on the picture at a pixel of the frame (the picture is shown scaled)."""
    box = page.locator("#zone-overlay").bounding_box()
    assert box is not None
    x = box["x"] + x_px * box["width"] / frame[0]
    y = box["y"] + y_px * box["height"] / frame[1]
    if double:
        page.mouse.dblclick(x, y)
    else:
        page.mouse.click(x, y)


def _corners(shape: Locator) -> list[tuple[int, int]]:
    """The corners the shape list shows, in pixels: ``(640, 100) (640, 600)``."""
    text = shape.locator(".corners").inner_text()
    return [(int(x), int(y)) for x, y in re.findall(r"\((\d+), (\d+)\)", text)]


def _near(found: list[tuple[int, int]], wanted: list[tuple[int, int]]) -> bool:
    """Within a pixel or two: the picture is shown scaled, a click lands on a screen pixel."""
    return len(found) == len(wanted) and all(
        abs(fx - wx) <= 2 and abs(fy - wy) <= 2
        for (fx, fy), (wx, wy) in zip(found, wanted, strict=False)
    )


def _draw_zone(page: Page) -> None:
    """The polygon tool on the picture; a corner added on an edge and deleted again."""
    page.keyboard.press("p")
    for x, y in CORNERS_PX:
        _click_at(page, x, y)
    page.keyboard.press("Enter")
    expect(page.locator("#zone-list li[data-kind=zone]")).to_have_count(2)
    # Shown in the picture's pixels.
    zone = page.locator("#zone-list li").last
    assert _near(_corners(zone), CORNERS_PX)
    # A double click on an edge adds a corner there; Delete takes the focused one away.
    _click_at(page, 250, 290, double=True)
    expect(page.locator("circle.corner")).to_have_count(len(CORNERS_PX) + 1)
    added = [*CORNERS_PX[:1], (250, 290), *CORNERS_PX[1:]]
    assert _near(_corners(zone), added)
    page.keyboard.press("Delete")
    expect(page.locator("circle.corner")).to_have_count(len(CORNERS_PX))
    assert _near(_corners(zone), CORNERS_PX)


def _check_stored(stored: dict[str, Any]) -> None:
    """The zone as clicked, relative to the frame, and its crowd rule, as central stores them."""
    door, zone = stored["zones"]
    # The px zone, now relative: what the editor saves.
    assert (door["id"], door["polygon"]) == ("door", [[0, 0], [0.5, 0], [0.5, 0.5]])
    assert door.get("units", "relative") == "relative"
    assert zone["id"] == "zone-1"
    assert zone.get("units", "relative") == "relative"
    # Where the corners were clicked, relative to the frame (within a pixel: the picture is
    # shown scaled, so a click lands on the nearest screen pixel).
    for (x, y), (rx, ry) in zip(CORNERS_PX, zone["polygon"], strict=True):
        assert rx == pytest.approx(x / FRAME[0], abs=1.5 / FRAME[0])
        assert ry == pytest.approx(y / FRAME[1], abs=1.5 / FRAME[1])
    [rule] = stored["rules"]
    assert (rule["type"], rule["id"], rule["zone"]) == ("crowd", "crowd-1", "zone-1")
    assert (rule["min_persons"], rule["min_duration_s"]) == (3, 5)


def test_an_integrator_onboards_a_camera_and_draws_its_zone_on_the_live_picture(
    console: Console, page_factory: NewPage, script_errors: list[str], camera: str, tmp_path: Path
) -> None:
    """Everything in the console: register the edge, start it from its bootstrap file, add
    the camera, draw a zone on the edge's picture, save, see the edge apply it."""
    _integrator(console)
    api = admin_client(console.runtime)
    page = _integrator_page(page_factory, script_errors)
    with _edge_registered_in(page, tmp_path):
        _add_camera_in(page, camera)
        # A zone someone set through the API in the stream's pixels (units: px).
        door = {"zones": [DOOR], "analysis_fps": 2}
        assert api.put(f"/api/v1/cameras/{CAMERA}/analysis", json=door).status_code == 200
        wait_analysing(api, EDGE, CAMERA)  # central sent it; the edge runs it
        page.reload()
        picture = page.locator("#zone-picture")
        expect(page.locator("#zone-editor.has-picture")).to_be_visible(timeout=WAIT_MS)
        assert picture.evaluate("img => [img.naturalWidth, img.naturalHeight]") == list(FRAME)
        # Shown in the pixels it was given in, once the picture says how large a frame is.
        assert _corners(page.locator("#zone-list li[data-kind=zone]")) == DOOR["polygon"]
        page.click("#snapshot-reload")  # a fresh picture on request
        expect(page.locator("#snapshot-status")).to_contain_text("768 × 576")

        _draw_zone(page)

        page.select_option("#rule-type", "crowd")
        page.click("#rule-add")
        rule = page.locator("article.rule[data-type=crowd]")
        rule.locator("input[data-param=min_persons]").fill("3")
        rule.locator("input[data-param=min_duration_s]").fill("5")
        expect(rule.locator("select[data-target=zone]")).to_have_value("zone-1")

        screenshot(page, "zone-editor")
        page.click("#preview-open")
        expect(page.locator("#preview-dialog")).to_be_visible()
        expect(page.locator("#preview-summary tr")).to_have_count(2)
        expect(page.locator("#preview-summary")).to_contain_text("crowd-1")
        screenshot(page, "zone-editor-preview")
        page.click("#save-confirm")
        expect(page.locator("#save-outcome.ok")).to_be_visible()

        # The edge validates and applies the new revision and says so; the camera list
        # shows it, without a reload (its rows are fetched again while one is pending).
        page.goto(f"{console.url}/console/edges")
        status = page.locator(f"#camera-table tr[data-camera='{CAMERA}'] .config-status")
        expect(status).to_have_text("已应用", timeout=STEP_TIMEOUT_S * 1000)
        assert wait_for_state(api, CAMERA, "applied")["state"] == "applied"
        screenshot(page, "cameras-applied")

    _check_stored(admin_client(console.runtime).get(f"/api/v1/cameras/{CAMERA}/analysis").json())


def _check_line_and_mask(stored: dict[str, Any]) -> None:
    """As drawn on the 1280x720 stage, stored relative."""
    [crossing] = stored["rules"]
    assert (crossing["type"], crossing["direction"]) == ("line_crossing", "in")
    (x0, y0), (x1, y1) = crossing["line"]
    assert (x0, y0) == (pytest.approx(0.5, abs=0.002), pytest.approx(100 / 720, abs=0.002))
    assert (x1, y1) == (pytest.approx(790 / 1280, abs=0.002), pytest.approx(600 / 720, abs=0.002))
    assert stored["zones"] == []
    [mask] = stored["masks"]["motion"]
    assert stored["masks"]["objects"] == []
    assert mask["polygon"][2] == [
        pytest.approx(200 / 1280, abs=0.002),
        pytest.approx(150 / 720, abs=0.002),
    ]


def _draw_motion_mask(page: Page, stage: tuple[int, int]) -> None:
    """A motion mask over the top left corner (a swaying tree, say): the mask tool, M."""
    page.keyboard.press("m")
    for x, y in [(2, 2), (200, 2), (200, 150), (2, 150)]:
        _click_at(page, x, y, stage)
    page.keyboard.press("Enter")
    page.locator("#zone-list li[data-kind=mask] select").select_option("motion")


def test_lines_and_masks_are_drawn_dragged_and_nudged_without_a_picture(
    console: Console, page_factory: NewPage, script_errors: list[str]
) -> None:
    """The camera's edge is not running: the editor says why there is no picture and still
    draws, on a 1280x720 stage, storing relative coordinates all the same."""
    _register(console, "rtsp://10.0.0.7/main")
    page = _integrator_page(page_factory, script_errors)
    assert page.url.endswith("/console/edges")  # where an integrator starts
    row = page.locator(f"#camera-table tr[data-camera='{CAMERA}']")
    # Pending, and why: central sends configs to registered edges only.
    expect(row.locator(".config-status")).to_contain_text(
        "待应用: edge edge-console is not registered"
    )
    row.get_by_role("link", name="区域与规则").click()
    expect(page.locator("#zone-hint")).not_to_be_empty()  # the editor is ready
    stage = (1280, 720)

    page.keyboard.press("l")
    _click_at(page, 640, 100, stage)
    _click_at(page, 640, 600, stage)
    line = page.locator("#zone-list li[data-kind=line]")
    expect(line).to_have_count(1)
    assert _near(_corners(line), [(640, 100), (640, 600)])

    # Drag the line's far end 160 px to the right, then nudge it 10 px left with Shift+←.
    end = page.locator("circle[data-corner='1']")
    box = end.bounding_box()
    assert box is not None
    overlay = page.locator("#zone-overlay").bounding_box()
    assert overlay is not None
    scale = overlay["width"] / stage[0]
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 160 * scale, box["y"] + box["height"] / 2)
    page.mouse.up()
    expect(end).to_be_focused()
    page.keyboard.press("Shift+ArrowLeft")
    assert _near(_corners(line), [(640, 100), (790, 600)])

    _draw_motion_mask(page, stage)

    page.select_option("#rule-type", "line_crossing")
    page.click("#rule-add")
    rule = page.locator("article.rule[data-type=line_crossing]")
    expect(rule.locator("select[data-target=line]")).to_have_value("line-1")
    rule.locator("select[data-param=direction]").select_option("in")
    page.click("#preview-open")
    page.click("#save-confirm")
    expect(page.locator("#save-outcome.ok")).to_be_visible()
    page.click("#preview-dialog button[type=submit]")  # back to the editor
    # The edge never answered: the page said so, and drawing went on regardless.
    expect(page.locator("#snapshot-status.error")).to_contain_text("edge-console", timeout=WAIT_MS)
    screenshot(page, "zone-editor-line")
    page.get_by_role("link", name="English").click()  # saved: leaving asks nothing
    expect(page.locator("button[data-tool=polygon]")).to_contain_text("Polygon zone")
    expect(page.locator("article.rule[data-type=line_crossing]")).to_contain_text("Line crossing")
    expect(page.locator("#snapshot-status.error")).to_be_visible(timeout=WAIT_MS)
    screenshot(page, "zone-editor-en")

    _check_line_and_mask(
        admin_client(console.runtime).get(f"/api/v1/cameras/{CAMERA}/analysis").json()
    )


def test_a_rule_the_models_refuse_is_explained_and_nothing_is_saved(
    console: Console, page_factory: NewPage, script_errors: list[str]
) -> None:
    _register(console, "rtsp://10.0.0.7/main")
    page = _integrator_page(page_factory, script_errors)
    page.goto(f"{console.url}/console/cameras/{CAMERA}/config")
    expect(page.locator("#zone-hint")).not_to_be_empty()
    stage = (1280, 720)
    page.keyboard.press("p")
    for x, y in [(100, 100), (500, 100), (500, 500)]:
        _click_at(page, x, y, stage)
    page.keyboard.press("Enter")
    page.select_option("#rule-type", "crowd")
    page.click("#rule-add")  # its required parameters left empty
    page.click("#preview-open")
    page.click("#save-confirm")
    outcome = page.locator("#save-outcome.error")
    expect(outcome).to_contain_text("配置未通过校验")
    expect(outcome).to_contain_text("min_persons")
    stored = admin_client(console.runtime).get(f"/api/v1/cameras/{CAMERA}/analysis").json()
    assert (stored["zones"], stored["rules"]) == ([], [])
    page.click("#preview-dialog button[type=submit]")
    expect(page.locator("#snapshot-status.error")).to_be_visible(timeout=WAIT_MS)


# A 雪亮 list as platforms export it (Chinese headers); row 2's code is one digit short and
# row 3's address is the cloud metadata service.
LIST_HEADER = "国标编码,设备名称,取流地址,经度,纬度,边缘节点"
GOOD_ROWS = [
    f"50024000001320000011,黄水大道北口,rtsp://admin:pw1@10.0.0.11/ch1,{DEMO_POINT.lon},{DEMO_POINT.lat},edge-a",
    f"50024000001320000012,黄水大道南口,rtsp://admin:pw2@10.0.0.12/ch1,{DEMO_POINT.lon},{DEMO_POINT.lat},edge-a",
]
BAD_ROWS = [
    GOOD_ROWS[0],
    f"5002400000132000001,短编码,rtsp://10.0.0.13/ch1,{DEMO_POINT.lon},{DEMO_POINT.lat},edge-a",
    f"50024000001320000014,元数据,rtsp://169.254.169.254/x,{DEMO_POINT.lon},{DEMO_POINT.lat},edge-a",
]


def test_an_integrator_imports_a_camera_list_after_a_dry_run(
    console: Console, page_factory: NewPage, script_errors: list[str], tmp_path: Path
) -> None:
    _register(console, "rtsp://10.0.0.7/main")
    page = _integrator_page(page_factory, script_errors)
    page.get_by_role("link", name="批量导入").click()
    listing = tmp_path / "cameras.csv"
    listing.write_text("\n".join([LIST_HEADER, *BAD_ROWS]) + "\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(listing))
    page.click("#import-form button[type=submit]")

    report = page.locator("#import-report")
    expect(report).to_have_attribute("data-dry-run", "true")
    expect(report.locator("tr[data-action=error]")).to_have_count(2)
    expect(report.locator("tr[data-row='2']")).to_contain_text("national_code")
    expect(report.locator("tr[data-row='3']")).to_contain_text("169.254.169.254")
    expect(report.locator("tr[data-row='1']")).to_have_attribute("data-action", "create")
    expect(page.locator("#import-confirm")).to_have_count(0)  # not with errors
    assert "pw1" not in report.inner_text()
    screenshot(page, "camera-import-dry-run")
    api = admin_client(console.runtime)
    assert api.get("/api/v1/cameras/50024000001320000011").status_code == 404

    page.fill("#import-form textarea[name=content]", "\n".join([LIST_HEADER, *GOOD_ROWS]))
    page.click("#import-form button[type=submit]")
    expect(report.locator("tr[data-action=create]")).to_have_count(2)
    assert api.get("/api/v1/cameras/50024000001320000011").status_code == 404  # still a dry run
    page.click("#import-confirm button[type=submit]")
    expect(page.locator("#import-done")).to_be_visible()
    for code, name in (
        ("50024000001320000011", "黄水大道北口"),
        ("50024000001320000012", "黄水大道南口"),
    ):
        camera = api.get(f"/api/v1/cameras/{code}").json()
        assert (camera["name"], camera["edge_id"], camera["national_code"]) == (
            name,
            "edge-a",
            code,
        )
        assert camera["has_credentials"]
    page.goto(f"{console.url}/console/edges")
    expect(page.locator("#camera-table tr[data-camera]")).to_have_count(3)
    page.keyboard.press("/")  # the filter, as you type
    page.keyboard.type("黄水大道 南")
    expect(page.locator("#camera-table tr[data-camera]:visible")).to_have_count(1)
    expect(page.locator("#camera-count")).to_have_text("1 / 3")
