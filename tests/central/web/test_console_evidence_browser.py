"""Evidence in the console, in a real browser: an alert's clip is "pending" on its card until
the edge's upload is stored, then plays (the queue's P key, the case page's player) with range
requests; a clip the edge gave up says why; sensor alarms arrive as cards with their reading;
the sensor registry lists and registers sensors; merged alerts update a card's count live."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gridwatch.sensor_traces import TRACES
from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.models import CameraIn, GeoPointIn
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.clip_messages import ClipUnavailableMessage
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import (
    AlertState,
    EdgeAvailability,
    EdgeStatusMessage,
    EventType,
    GeoPoint,
)
from gridwatch_edge.detector import Detector
from tests.central.api.clients import admin_client
from tests.central.clips.conftest import CAMERA_ID, EDGE_ID, RealClip, chunks
from tests.central.helpers import make_alert, wait_until
from tests.central.sensors.helpers import gateway, register
from tests.central.web.conftest import Console, screenshot
from tests.central.web.test_console_browser import IN_A, PARKING, _incident_of
from tests.edge.requests.live_edge import clip_camera, edge_config, live_edge, wait_for_frames

pytestmark = pytest.mark.postgres
NewPage = Callable[[str], Page]
CROWD = {"event_type": EventType.CROWD, "rule_id": "crowd-1"}
# A video element that has read the clip's header knows its length: the browser can play it.
PLAYABLE = "v => v.readyState >= 1 && v.duration > 0 && !v.error"


def _upload(runtime: CentralRuntime, clip: RealClip, clip_id: uuid.UUID) -> None:
    """The edge's upload, chunk by chunk, as the clip consumer hands it to the service."""
    topic = runtime.config.broker.topics.clip_data(EDGE_ID, CAMERA_ID)
    acks = [
        runtime.clip_ingest.handle(topic, payload)
        for payload in chunks(clip, clip_id, uuid.uuid4())
    ]
    assert acks[-1] is not None
    assert acks[-1].ack.status == "stored"


def test_a_clip_is_pending_then_plays_on_the_card_and_on_the_case_page(
    console: Console, page_factory: NewPage, real_clip: RealClip
) -> None:
    clip_id = uuid.uuid4()
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    console.publish(camera_id=CAMERA_ID, edge_id=EDGE_ID, location=IN_A, clip_id=clip_id, **CROWD)
    card = operator.locator("article.incident")
    expect(card).to_have_count(1)
    expect(card.locator(".clip.pending")).to_contain_text("录像上传中")

    _upload(console.runtime, real_clip, clip_id)
    # The clip's arrival reaches the card over the live feed: the badge becomes the button.
    play = card.locator("button.clip.stored")
    expect(play).to_be_visible()
    incident = _incident_of(admin_client(console.runtime), CAMERA_ID)
    timeline = admin_client(console.runtime).get(f"/api/v1/incidents/{incident['id']}").json()
    assert [e["action"] for e in timeline["timeline"]] == ["opened", "evidence"]
    operator.keyboard.press("p")
    video = operator.locator("#viewer-video")
    expect(video).to_be_visible()
    operator.wait_for_function(f"() => ({PLAYABLE})(document.getElementById('viewer-video'))")
    duration = video.evaluate("v => v.duration")
    expected = (real_clip.info.ends_at - real_clip.info.starts_at).total_seconds()
    assert duration == pytest.approx(expected, abs=1.0)
    screenshot(operator, "clip-player")

    # The player seeks with range requests: the console answers them from the stored file.
    source = f"{console.url}/console/clips/{clip_id}/video"
    part = operator.request.get(source, headers={"Range": "bytes=100-199"})
    assert (part.status, part.body()) == (206, real_clip.data[100:200])
    # Another street's operator gets nothing, as for a clip that does not exist.
    other = page_factory("op-b")
    assert other.request.get(source).status == 404
    assert other.request.get(f"{console.url}/console/clips/{clip_id}").status == 404

    operator.keyboard.press("Escape")
    operator.keyboard.press("v")
    expect(operator.locator("#toast")).to_contain_text("已立案")
    case_id = _incident_of(admin_client(console.runtime), CAMERA_ID)["case_id"]
    operator.goto(f"{console.url}/console/cases/{case_id}")
    player = operator.locator(f".clip-player[data-clip='{clip_id}'] video")
    expect(player).to_be_visible()
    operator.wait_for_function(f"() => ({PLAYABLE})(document.querySelector('.clip-player video'))")
    screenshot(operator, "case-clip")


def test_a_clip_the_edge_gave_up_says_why(console: Console, page_factory: NewPage) -> None:
    clip_id = uuid.uuid4()
    console.publish(camera_id=CAMERA_ID, edge_id=EDGE_ID, location=IN_A, clip_id=clip_id, **CROWD)
    notice = ClipUnavailableMessage(
        clip_id=clip_id,
        event_id=uuid.uuid4(),
        edge_id=EDGE_ID,
        camera_id=CAMERA_ID,
        reason="codec_unsupported: hevc cannot be remuxed",
    )
    topics = console.runtime.config.broker.topics
    _incident_of(admin_client(console.runtime), CAMERA_ID)
    console.runtime.clip_ingest.handle(
        topics.clip_unavailable(EDGE_ID, CAMERA_ID), encode_message(notice)
    )
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    badge = operator.locator("article.incident .clip.unavailable")
    expect(badge).to_contain_text("无录像")
    expect(badge).to_contain_text("hevc cannot be remuxed")


def test_merged_alerts_update_the_cards_count_and_latest_time_live(
    console: Console, page_factory: NewPage
) -> None:
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    first = make_alert(camera_id="cam-m1", location=IN_A, **PARKING)
    console.publish(
        camera_id="cam-m1",
        location=IN_A,
        alert_id=first.alert_id,
        event_id=first.event_id,
        started_at=first.started_at,
        **PARKING,
    )
    card = operator.locator("article.incident")
    expect(card).to_have_count(1)
    expect(card.locator("dd.merged")).to_have_text("1")
    operator.keyboard.press("f")  # an open 误报 form must survive the update
    latest = card.locator("dd.latest").inner_text()

    # The event goes on (an update), and another camera sees the same car (a merge).
    console.publish(
        camera_id="cam-m1",
        location=IN_A,
        event_id=first.event_id,
        started_at=first.started_at,
        sequence=1,
        state=AlertState.UPDATE,
        **PARKING,
    )
    expect(card.locator("dd.merged")).to_have_text("2")
    console.publish(camera_id="cam-m2", location=IN_A, **PARKING)
    expect(card.locator("dd.merged")).to_have_text("3")
    expect(card).to_have_count(1)
    expect(card.locator("form.reason")).to_be_visible()
    assert card.locator("dd.latest").inner_text() >= latest
    screenshot(operator, "queue-merged")


def _fill_sensor_form(admin: Page) -> None:
    """Registers water-level sensor wl-101 at IN_A through the registry page's form."""
    form = admin.locator("form.sensor-form")
    form.locator("input[name=id]").fill("wl-101")
    form.locator("select[name=sensor_type]").select_option("water_level")
    form.locator("input[name=name]").fill("黄水路下穿通道积水")
    form.locator("input[name=gateway_id]").fill("gw-1")
    form.locator("input[name=vendor_code]").fill("HX-WL-9")
    form.locator("input[name=lat]").fill(str(IN_A.lat))
    form.locator("input[name=lon]").fill(str(IN_A.lon))
    form.locator("button[type=submit]").click()


def test_the_sensor_registry_and_a_sensor_alarm_in_the_queue(
    console: Console, page_factory: NewPage
) -> None:
    admin = page_factory("admin")
    admin.goto(f"{console.url}/console/sensors")
    _fill_sensor_form(admin)
    row = admin.locator("tr[data-sensor='wl-101']")
    expect(row).to_contain_text("道路积水")
    expect(row).to_contain_text("黄水社区第二网格")  # the grid, derived from the position
    expect(row).to_contain_text("未上报")
    expect(row).to_contain_text("150 mm")  # the type's alarm level

    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    with gateway(console.broker, "gw-1") as gw:
        gw.play(TRACES["water_rising"], "wl-101")
        assert gw.wait_for_receipts(30)
    card = operator.locator("article.incident")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("道路积水")
    expect(card.locator("dd.sensor-id")).to_have_text("wl-101")
    expect(card.locator(".sensor-panel .reading")).to_contain_text("mm")
    screenshot(operator, "queue-sensor-card")
    operator.goto(f"{console.url}/console/language/en?next=/console/queue")
    expect(card.locator("dt").first).to_have_text("Sensor")
    screenshot(operator, "queue-sensor-card-en")

    admin.reload()
    expect(row.locator(".pill.online")).to_be_visible()
    expect(row.locator("td.reading")).to_contain_text("mm")
    screenshot(admin, "sensors")
    admin.goto(f"{console.url}/console/language/en?next=/console/sensors")
    expect(row.locator(".pill.online")).to_have_text("Online")
    screenshot(admin, "sensors-en")
    admin.goto(f"{console.url}/console/language/zh-CN?next=/console/sensors")
    # Its page: the readings the trace sent, against the alarm and clear levels.
    admin.locator("tr[data-sensor='wl-101'] td a").first.click()
    expect(admin.locator("#sensor-chart.ready")).to_be_visible()
    expect(admin.locator("table.samples tbody tr").first).to_contain_text("mm")
    screenshot(admin, "sensor-readings")
    admin.goto(f"{console.url}/console/sensors")

    # Changed: its own alarm level; then deleted (the browser asks first).
    admin.locator("tr[data-sensor='wl-101'] a.button").click()
    admin.locator("form.sensor-form input[name=alarm]").fill("120")
    admin.locator("form.sensor-form button[type=submit]").click()
    expect(row).to_contain_text("120 mm")
    admin.on("dialog", lambda dialog: dialog.accept())
    row.locator("form.delete button").click()
    expect(row).to_have_count(0)

    # An operator reads the registry but is offered no form.
    operator.goto(f"{console.url}/console/sensors")
    expect(operator.locator("form.sensor-form")).to_have_count(0)


def _camera(runtime: CentralRuntime, camera_id: str, edge_id: str, point: GeoPoint) -> None:
    body = CameraIn(
        id=camera_id,
        edge_id=edge_id,
        name=camera_id,
        rtsp_url=f"rtsp://127.0.0.1:8554/{camera_id}",
        location=GeoPointIn(lat=point.lat, lon=point.lon),
    )
    with runtime.sessions() as session:
        runtime.camera_service.create(session, body, runtime.grid_store.index, Scope.everything())


def test_a_sensor_card_shows_its_linked_cameras_picture_when_it_arrives(
    console: Console, page_factory: NewPage, *, yolox: Detector, vtest_clip: Path
) -> None:
    """视频联动 with a real edge on the sample clip: the card arrives with the reading, then
    the linked camera's picture replaces the sensor panel in place; a camera whose edge is
    offline is named with the reason."""
    runtime = console.runtime
    _camera(runtime, "cam-live", "edge-live", IN_A)
    _camera(runtime, "cam-gone", "edge-gone", IN_A)
    gone = EdgeStatusMessage(
        edge_id="edge-gone",
        state=EdgeAvailability.OFFLINE,
        at=datetime.now(UTC),
        software_version="t",
    )
    console.edge.publish(console.broker.topics.edge_status("edge-gone"), encode_message(gone))
    wait_until(lambda: runtime.edge_requests.edge_availability("edge-gone") is not None)
    register(
        runtime,
        "wl-7",
        "water_level",
        lat=IN_A.lat,
        lon=IN_A.lon,
        linked_cameras=["cam-live", "cam-gone"],
    )
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    config = edge_config(console.broker, "edge-live", [clip_camera("cam-live", vtest_clip)])
    with live_edge(config, yolox) as (edge_runtime, _handler):
        wait_for_frames(edge_runtime, "cam-live")
        with gateway(console.broker, "gw-1") as gw:
            gw.play(TRACES["water_rising"], "wl-7")
            assert gw.wait_for_receipts(30)
        card = operator.locator("article.incident")
        expect(card).to_have_count(1)
        picture = card.locator(".shot img")
        expect(picture).to_be_visible()  # replaced the sensor panel without a reload
        operator.wait_for_function(
            "() => document.querySelector('article.incident .shot img').naturalWidth > 0"
        )
    links = card.locator(".shot ul.caption")
    expect(links).to_contain_text("cam-live：已附抓拍图")
    expect(links).to_contain_text("cam-gone：边缘节点离线")
    expect(card.locator("dd.sensor-id")).to_have_text("wl-7")
    expect(card.locator("dd.reading")).to_contain_text("mm")
    screenshot(operator, "queue-sensor-linked")

    # Verified, its case names the sensor and its reading, with the linked camera's picture.
    operator.keyboard.press("v")
    expect(operator.locator("#toast")).to_contain_text("已立案")
    case_id = _incident_of(admin_client(runtime), "wl-7")["case_id"]
    operator.goto(f"{console.url}/console/cases/{case_id}")
    facts = operator.locator(".case-facts")
    expect(facts).to_contain_text("传感器")
    expect(facts.locator("dd.reading")).to_contain_text("mm")
    expect(operator.locator(".case-shots .shots img")).to_have_count(1)
    expect(operator.locator("#case-map.ready")).to_be_visible()
    screenshot(operator, "case-sensor")
