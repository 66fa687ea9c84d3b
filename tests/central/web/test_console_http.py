"""The console over plain HTTP: sessions, CSRF, headers, labels, and allowed_actions in the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from fastapi.testclient import TestClient

from gridwatch_central.auth.scope import Role
from gridwatch_central.cases.actor import Role as LoopRole
from gridwatch_central.cases.states import CaseAction, CaseState
from gridwatch_central.edge_requests import SnapshotFailure
from gridwatch_central.edges.models import Connection, EdgeState, StateReason
from gridwatch_central.metrics import GroupBy
from gridwatch_central.metrics.formulas import Figures
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.sensors.models import LinkedCameraOut
from gridwatch_central.sensors.types import SENSOR_OFFLINE, SENSOR_ONLINE, load_sensor_types
from gridwatch_central.web.i18n import LABELS
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import EventType
from tests.central.case_loop_helpers import DISPATCHER, OPERATOR, ActorTokens
from tests.central.helpers import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    SENSOR_TYPES,
    TINY_JPEG,
    make_alert,
)

WEB = Path(__file__).resolve().parents[3] / "central" / "gridwatch_central" / "web"
ORIGIN = {"Origin": "http://testserver"}


def _logged_in(runtime: CentralRuntime) -> tuple[TestClient, str]:
    client = TestClient(runtime.app)
    response = client.post(
        "/console/login",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/console/queue")
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert found is not None
    return client, found.group(1)


def _incident(runtime: CentralRuntime) -> int:
    outcome = runtime.ingest.handle("gw/v1/alerts", encode_message(make_alert()))
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_pages_need_a_login_and_the_session_cookie_is_httponly_and_strict(
    runtime: CentralRuntime,
) -> None:
    client = TestClient(runtime.app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/console/"
    away = client.get("/console/queue", follow_redirects=False)
    assert (away.status_code, away.headers["location"]) == (
        303,
        "/console/login?next=/console/queue",
    )
    wrong = client.post(
        "/console/login", data={"username": "admin", "password": "nope-nope"}, headers=ORIGIN
    )
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    right = client.post(
        "/console/login",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "next": "//evil.example"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert right.headers["location"] == "/console/"  # never to another site
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert client.get("/console/queue").status_code == 200


def test_posts_need_the_sessions_csrf_token_and_this_origin(runtime: CentralRuntime) -> None:
    client, csrf = _logged_in(runtime)
    incident = _incident(runtime)
    path = f"/console/incidents/{incident}/verify"
    assert client.post(path, headers=ORIGIN).status_code == 403
    evil = {"Origin": "http://evil.example", "X-CSRF-Token": csrf}
    assert client.post(path, headers=evil).status_code == 403
    assert client.post(path, headers={**ORIGIN, "X-CSRF-Token": "0" * 32}).status_code == 403
    done = client.post(path, headers={**ORIGIN, "X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    assert done.json()["ok"] is True
    again = client.post(path, headers={**ORIGIN, "X-CSRF-Token": csrf})
    assert again.status_code == 409  # the same refusal the API gives


def test_console_pages_allow_no_inline_script(runtime: CentralRuntime) -> None:
    client, _csrf = _logged_in(runtime)
    policy = client.get("/console/queue").headers["content-security-policy"]
    script = next(part for part in policy.split(";") if "script-src" in part)
    assert script.strip() == "script-src 'self'"
    for template in (WEB / "templates").glob("*.html"):
        for tag in re.findall(r"<script[^>]*>", template.read_text("utf-8")):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        # Nor inline event handlers (onclick=...): behaviour lives in static/*.js.
        assert re.search(r"\son[a-z]+\s*=", template.read_text("utf-8")) is None, template.name


def test_every_label_exists_in_both_languages() -> None:
    used = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(
            re.findall(r"""\bt\(\s*["']([a-z_0-9.]+)["']\s*[,)]""", template.read_text("utf-8"))
        )
    for module in (WEB / "pages").glob("*.py"):
        for key, column in re.findall(
            r'message_key="([a-z_.]+)"|"(column\.[a-z_]+)"', module.read_text()
        ):
            used.add(key or column)
    used |= {f"card.done.{action}" for action in ("verify", "reject", "duplicate")}
    used |= {f"event.{kind.value}" for kind in EventType}
    used |= {f"state.{state.value}" for state in CaseState}
    used |= {f"action.{action.value}" for action in CaseAction}
    used |= {f"role.{role.value}" for role in Role}
    used |= {f"role.{role.value}" for role in LoopRole}
    used |= {f"group.{group.value}" for group in GroupBy}
    used |= {f"metric.{name}" for name in Figures.model_fields}
    # Evidence, sensors and edges: each state a record can be in has its words.
    used |= {f"link.{status}" for status in ("requested", "attached", *SnapshotFailure)}
    used.add("done.evidence")  # the linkage's case timeline entry (sensors/linkage.py)
    used |= {f"event.{kind}" for kind in load_sensor_types(SENSOR_TYPES).types}
    used |= {f"event.{kind}" for kind in (SENSOR_OFFLINE, SENSOR_ONLINE)}
    used |= {
        f"sensors.how.{how}" for how in get_args(LinkedCameraOut.model_fields["how"].annotation)
    }
    used |= {f"edges.state.{state}" for state in get_args(EdgeState)}
    used |= {f"edges.reason.{reason}" for reason in get_args(StateReason)}
    used |= {f"edges.connection.{c}" for c in get_args(Connection) if c != "good"}
    missing = sorted(key for key in used if key not in LABELS)
    assert missing == []
    for key, (chinese, english) in LABELS.items():
        assert chinese.strip(), key
        assert english.strip(), key


def test_case_and_incident_responses_list_what_the_caller_may_do(runtime: CentralRuntime) -> None:
    tokens = ActorTokens(runtime)
    api = TestClient(runtime.app)
    incident = _incident(runtime)
    as_operator = tokens.headers(OPERATOR)
    as_dispatcher = tokens.headers(DISPATCHER)
    listed = api.get("/api/v1/incidents", headers=as_operator).json()["items"]
    assert listed[0]["allowed_actions"] == ["verify", "reject", "duplicate"]
    shown = api.get(f"/api/v1/incidents/{incident}", headers=as_dispatcher).json()
    assert shown["allowed_actions"] == []
    verified = api.post(f"/api/v1/incidents/{incident}/verify", json={}, headers=as_operator)
    case = verified.json()["case"]
    assert case["allowed_actions"] == ["escalate"]  # an operator in REGISTERED may only 上报
    detail = api.get(f"/api/v1/cases/{case['id']}", headers=as_dispatcher).json()
    assert detail["allowed_actions"] == ["dispatch", "hold", "void", "escalate"]
    page = api.get("/api/v1/cases", headers=as_dispatcher).json()
    assert page["items"][0]["allowed_actions"] == detail["allowed_actions"]
    dispatched = api.post(f"/api/v1/cases/{case['id']}/dispatch", json={}, headers=as_dispatcher)
    assert dispatched.json()["case"]["allowed_actions"] == [
        "hold",
        "void",
        "escalate",
        "approve_extension",
        "reject_extension",
    ]


def test_a_feedback_photo_must_be_an_image_and_may_be_larger_than_api_bodies(
    runtime: CentralRuntime,
) -> None:
    client, csrf = _logged_in(runtime)
    tokens = ActorTokens(runtime)
    api = TestClient(runtime.app)
    incident = _incident(runtime)
    case = api.post(
        f"/api/v1/incidents/{incident}/verify", json={}, headers=tokens.headers(OPERATOR)
    ).json()["case"]
    for action in ("dispatch", "accept"):
        client.post(
            f"/console/cases/{case['id']}/act/{action}", data={"csrf": csrf}, headers=ORIGIN
        )
    path = f"/console/upload/cases/{case['id']}/feedback"
    text = client.post(
        path,
        data={"csrf": csrf},
        files={"photo": ("note.txt", b"not a picture", "text/plain")},
        headers=ORIGIN,
    )
    assert text.status_code == 400
    assert "JPEG or PNG" in text.text
    # A phone photo of 2 MB: above the API's 1 MiB body limit, within the console's photo limit.
    photo = TINY_JPEG + b"\0" * (2 * 1024 * 1024)
    done = client.post(
        path,
        data={"csrf": csrf, "note": "已清理"},
        files={"photo": ("scene.jpg", photo, "image/jpeg")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    timeline = api.get(
        f"/api/v1/cases/{case['id']}/timeline", headers=tokens.headers(OPERATOR)
    ).json()
    (sha256,) = timeline[-1]["attachments"]
    image = client.get(f"/console/cases/{case['id']}/attachments/{sha256}")
    assert image.content == photo
    assert client.get(f"/console/cases/{case['id']}/attachments/{'0' * 64}").status_code == 404


def test_statistics_csv_language_switch_and_admin_pages_by_role(runtime: CentralRuntime) -> None:
    client, _csrf = _logged_in(runtime)
    csv = client.get("/console/stats.csv", params={"group_by": "category"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("group_by,key,cases_due,closed")
    english = client.get("/console/language/en", params={"next": "/console/stats"})
    assert english.url.path == "/console/stats"
    assert "Statistics" in english.text
    assert "Statistics" in client.get("/console/stats").text  # remembered
    tokens = ActorTokens(runtime)
    tokens.headers(OPERATOR)  # creates the operator user
    operator = TestClient(runtime.app)
    operator.post(
        "/console/login",
        data={"username": OPERATOR.id, "password": "case-loop-test-password"},
        headers=ORIGIN,
    )
    refused = operator.get("/console/admin")
    assert refused.status_code == 403
    assert "/console/admin" not in operator.get("/console/queue").text  # not even offered
