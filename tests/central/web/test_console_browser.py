"""What people do in the console, in a real browser: an operator clears the live queue by
keyboard, a dispatcher dispatches, a handler feeds back with a photo, the operator checks and
closes; the map draws the grid; the statistics show the API's numbers; streets stay apart."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient as HttpClient
from playwright.sync_api import Page, expect

from gridwatch_central.auth.tokens import InvalidCredentialsError
from gridwatch_central.web.i18n import LABELS
from gridwatch_contract.messages import EventType, GeoPoint
from tests.central.api.clients import admin_client
from tests.central.helpers import wait_until
from tests.central.web.conftest import STREET_A, WAIT_MS, Console, screenshot

pytestmark = pytest.mark.postgres

IN_A = GeoPoint(lat=30.22915, lon=108.39716)  # 黄水镇 黄水社区第二网格
A_100M = GeoPoint(lat=30.2299, lon=108.3985)  # 100 m north of IN_A's micro-grid point
IN_B = GeoPoint(lat=30.22925, lon=108.40665)  # 冷水镇 冷水社区第一网格
APART_IN_A = [
    GeoPoint(lat=30.22925, lon=108.386),  # 黄水社区第一网格
    GeoPoint(lat=30.223, lon=108.39725),  # 黄水社区第三网格
    GeoPoint(lat=30.2365, lon=108.385),  # 万胜坝村第一网格
]
PARKING = {"event_type": EventType.ILLEGAL_PARKING, "rule_id": "parking-1"}
NewPage = Callable[[str], Page]


def _incident_of(api: HttpClient, camera_id: str) -> dict[str, object]:
    found: list[dict[str, object]] = []

    def stored() -> bool:
        found[:] = api.get("/api/v1/incidents", params={"camera_id": camera_id}).json()["items"]
        return bool(found)

    wait_until(stored, timeout_s=WAIT_MS / 1000)
    return found[0]


def test_operator_sees_a_live_alert_and_verifies_it_by_keyboard(
    console: Console, page_factory: NewPage
) -> None:
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    expect(operator.locator("#queue-empty")).to_be_visible()
    expect(operator.locator("#live")).to_have_text("实时")

    console.publish(camera_id="cam-a1", location=IN_A, confidence=0.83, **PARKING)
    card = operator.locator("article.incident")
    expect(card).to_have_count(1)  # arrived without a reload
    expect(card).to_contain_text("机动车乱停放")
    expect(card).to_contain_text("黄水社区第二网格")
    expect(card).to_contain_text("83%")
    expect(card).to_have_class(re.compile(r"\bselected\b"))  # ready for the keyboard
    screenshot(operator, "queue-live-alert")

    operator.keyboard.press("v")
    expect(card).to_have_count(0)
    expect(operator.locator("#toast")).to_contain_text("已立案")
    api = admin_client(console.runtime)
    incident = _incident_of(api, "cam-a1")
    assert incident["status"] == "VERIFIED"
    assert incident["case_id"] is not None

    # The same car seen by another camera 100 m on, in the same micro-grid: D marks it as
    # the duplicate of the verified one the card names.
    console.publish(camera_id="cam-a9", location=A_100M, **PARKING)
    expect(card).to_have_count(1)
    expect(card.locator("button[data-do=duplicate]")).to_contain_text(f"#{incident['id']}")
    operator.keyboard.press("d")
    expect(card).to_have_count(0)
    repeated = _incident_of(api, "cam-a9")
    assert (repeated["status"], repeated["duplicate_of_id"]) == ("DUPLICATE", incident["id"])


def test_a_case_goes_round_the_loop_in_the_browser(
    console: Console, page_factory: NewPage, images_dir: Path
) -> None:
    api = admin_client(console.runtime)
    console.publish(camera_id="cam-loop", location=IN_A, **PARKING)
    incident = _incident_of(api, "cam-loop")

    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    operator.locator(f"#incident-{incident['id']} button[data-do=verify]").click()
    expect(operator.locator("#toast")).to_contain_text("已立案")
    case_id = _incident_of(api, "cam-loop")["case_id"]

    dispatcher = page_factory("disp")
    dispatcher.goto(f"{console.url}/console/cases")
    dispatcher.locator(f"a[data-case='{case_id}']").click()
    expect(dispatcher.locator("summary[data-action=dispatch]")).to_be_visible()
    # A dispatcher is offered exactly what the table allows a dispatcher in REGISTERED.
    offered = dispatcher.locator("summary[data-action]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.action)"
    )
    assert offered == ["dispatch", "escalate", "hold", "void"]
    dispatcher.locator("details:has(summary[data-action=dispatch]) button[type=submit]").click()
    expect(dispatcher.locator(".banner.ok")).to_contain_text("派遣")
    expect(dispatcher.locator("h1 .state")).to_have_text("已派遣")

    handler = page_factory("jxj-01")
    handler.goto(f"{console.url}/console/cases/{case_id}")
    handler.locator("details:has(summary[data-action=accept]) button[type=submit]").click()
    expect(handler.locator("h1 .state")).to_have_text("处置中")
    feedback = handler.locator("details:has(summary[data-action=feedback])")
    expect(feedback).to_have_attribute("open", "")  # the step forward comes first, open
    feedback.locator("textarea[name=note]").fill("车辆已挪走，现场恢复通行")
    photo = next(iter(sorted(images_dir.glob("*.jpg"))))
    feedback.locator("input[name=photo]").set_input_files(str(photo))
    feedback.locator("button[type=submit]").click()
    expect(handler.locator("h1 .state")).to_have_text("已反馈")
    expect(handler.locator("img.photo")).to_have_count(1)
    assert handler.locator("img.photo").evaluate("img => img.naturalWidth") > 0

    operator.goto(f"{console.url}/console/cases/{case_id}")
    operator.locator("details:has(summary[data-action=check_pass]) button[type=submit]").click()
    expect(operator.locator("h1 .state")).to_have_text("已结案")
    expect(operator.locator(".timeline li")).to_have_count(5)
    # Its map: the micro-grid's outline and the pin where it happened.
    expect(operator.locator("#case-map.ready path.leaflet-interactive")).to_have_count(2)
    screenshot(operator, "case-closed")
    case = api.get(f"/api/v1/cases/{case_id}").json()
    assert case["state"] == "CLOSED"
    feedback_entry = next(e for e in case["timeline"] if e["action"] == "feedback")
    assert len(feedback_entry["attachments"]) == 1


def test_an_operator_of_one_street_never_sees_the_other_streets_cards(
    console: Console, page_factory: NewPage
) -> None:
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    console.publish(camera_id="cam-b1", location=IN_B, **PARKING)
    console.publish(camera_id="cam-a2", location=IN_A, **PARKING)
    expect(operator.locator("article.incident")).to_have_count(1)
    expect(operator.locator("article.incident")).to_contain_text("cam-a2")
    api = admin_client(console.runtime)
    other = _incident_of(api, "cam-b1")
    # Nor by asking for it: the card route and the snapshot answer as for a missing one.
    assert "cam-b1" not in operator.content()
    fragment = operator.request.get(f"{console.url}/console/queue/cards?ids={other['id']}")
    assert "article" not in fragment.text()
    image = operator.request.get(f"{console.url}/console/alerts/{other['best_alert_id']}/snapshot")
    assert image.status == 404
    operator.reload()
    expect(operator.locator("article.incident")).to_have_count(1)
    # The street B operator sees only B's.
    other_operator = page_factory("op-b")
    other_operator.goto(f"{console.url}/console/queue")
    expect(other_operator.locator("article.incident")).to_have_count(1)
    expect(other_operator.locator("article.incident")).to_contain_text("cam-b1")


def test_the_map_draws_the_grid_polygons_of_the_viewers_street(
    console: Console, page_factory: NewPage
) -> None:
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/map")
    expect(operator.locator("#grid-map.ready")).to_be_visible()
    cells = [c for c in console.runtime.grid_store.index.cells if c.code.startswith(STREET_A)]
    expect(operator.locator("#grid-map path.leaflet-interactive")).to_have_count(len(cells))
    assert operator.locator("#grid-map").get_attribute("data-polygons") == str(len(cells))
    operator.locator("#grid-map path.leaflet-interactive").last.click(force=True)
    expect(operator.locator("#grid-panel h3")).to_be_visible()
    screenshot(operator, "map")


def test_the_statistics_page_shows_the_numbers_the_api_returns(
    console: Console, page_factory: NewPage
) -> None:
    api = admin_client(console.runtime)
    # Three places far apart, so that three incidents open (near ones would merge).
    for number, place in enumerate(APART_IN_A):
        console.publish(camera_id=f"cam-s{number}", location=place, **PARKING)
    incidents = [_incident_of(api, f"cam-s{number}") for number in range(3)]
    operator = page_factory("op-a")
    operator.goto(f"{console.url}/console/queue")
    cards = operator.locator("article.incident")
    expect(cards).to_have_count(3)
    # The keyboard alone: verify, verify, then 误报 with the offered reason (F, Enter).
    operator.keyboard.press("v")
    expect(cards).to_have_count(2)
    operator.keyboard.press("v")
    expect(cards).to_have_count(1)
    operator.keyboard.press("f")
    expect(operator.locator("article.incident form.reason input[name=reason]")).to_be_focused()
    operator.keyboard.press("Enter")
    expect(cards).to_have_count(0)
    reviewed = [api.get(f"/api/v1/incidents/{i['id']}").json()["status"] for i in incidents]
    assert sorted(reviewed) == ["FALSE_ALARM", "VERIFIED", "VERIFIED"]
    operator.goto(f"{console.url}/console/stats?group_by=grid&level=1")
    expect(operator.locator("#chart.ready")).to_be_visible()
    table = operator.locator("#metrics-table")
    start = operator.locator("input[name=start]").input_value()
    end = operator.locator("input[name=end]").input_value()
    expected = api.get(
        "/api/v1/metrics",
        params={
            "start": f"{start}T00:00:00+08:00",
            "end": f"{end}T23:59:59.999999+08:00",
            "group_by": "grid",
            "level": 1,
        },
    ).json()["rows"]
    assert [row["key"] for row in expected] == ["500240101000000"]
    assert (expected[0]["cases_due"], expected[0]["false_alarms"]) == (2, 1)
    row = table.locator("tr[data-key='500240101000000']")
    for name in ("cases_due", "incidents_reviewed", "false_alarms", "false_alarm_rate"):
        column = operator.locator("#metrics-table th").all_inner_texts()
        cell = row.locator("td").nth(column.index(_label(name)))
        value = cell.get_attribute("data-value")
        assert value is not None
        assert float(value or 0) == pytest.approx(expected[0][name] or 0), name
    screenshot(operator, "statistics")


def _label(metric: str) -> str:
    return LABELS[f"metric.{metric}"][0]


def test_an_admin_creates_a_user_and_an_api_key_and_revokes_the_key(
    console: Console, page_factory: NewPage
) -> None:
    admin = page_factory("admin")
    admin.goto(f"{console.url}/console/admin")
    new_user = admin.locator("form[action='/console/admin/users']")
    new_user.locator("input[name=username]").fill("wang-op")
    new_user.locator("input[name=password]").fill("wang-password-1")
    new_user.locator("select[name=role]").select_option("operator")
    new_user.locator("input[name=grid_prefixes]").fill(STREET_A)
    new_user.locator("button[type=submit]").click()
    expect(admin.get_by_role("cell", name="wang-op", exact=True).first).to_be_visible()
    token = console.runtime.auth.login("wang-op", "wang-password-1")
    principal = console.runtime.auth.principal_from_token(token.access_token)
    assert sorted(principal.scope.grid_prefixes) == [STREET_A]

    new_key = admin.locator("form[action='/console/admin/api-keys']")
    new_key.locator("input[name=name]").fill("city-brain")
    new_key.locator("button[type=submit]").click()
    secret = admin.locator("#new-key").inner_text()
    assert console.runtime.auth.principal_from_api_key(secret).name == "city-brain"
    admin.goto(f"{console.url}/console/admin")
    admin.locator("form[action$='/revoke'] button").click()
    expect(admin.locator("td", has_text="已吊销")).to_be_visible()
    with pytest.raises(InvalidCredentialsError):
        console.runtime.auth.principal_from_api_key(secret)
