"""The case state machine through the API: refusals are typed, holds pause, extensions move."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from httpx import Response

from gridwatch_central.cases.actor import Actor
from gridwatch_central.cases.states import (
    FINAL,
    TRANSITIONS,
    CaseAction,
    CaseState,
    allowed_actions,
)
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import EventType
from tests.central.api.clients import admin_client
from tests.central.case_loop_helpers import (
    DISPATCHER,
    OPERATOR,
    T0,
    ActorTokens,
    ManualClock,
    handler,
)
from tests.central.helpers import make_alert


def test_the_table_ends_in_final_states() -> None:
    assert allowed_actions(CaseState.VOIDED) == []
    assert allowed_actions(CaseState.EVALUATED) == []
    assert allowed_actions(CaseState.CLOSED) == [CaseAction.EVALUATE]
    for transition in TRANSITIONS.values():
        assert not (transition.sources & {CaseState.VOIDED, CaseState.EVALUATED})
    assert {CaseState.CLOSED, CaseState.EVALUATED, CaseState.VOIDED} == FINAL


class Loop:
    def __init__(self, runtime: CentralRuntime, clock: ManualClock) -> None:
        self.runtime = runtime
        self.clock = clock
        # Reads as the admin; each action carries its own actor's token.
        self.client = admin_client(runtime)
        self.tokens = ActorTokens(runtime)

    def open_case(self) -> int:
        alert = make_alert(event_type=EventType.LITTERING)  # 06010 → sthb, default limits
        outcome = self.runtime.ingest.handle("gw/v1/alerts", encode_message(alert))
        response = self.call(f"/incidents/{outcome.incident_id}/verify", OPERATOR)
        assert response.status_code == 200, response.text
        case_id: int = response.json()["case"]["id"]
        return case_id

    def call(self, path: str, actor: Actor, body: dict[str, object] | None = None) -> Response:
        response: Response = self.client.post(
            f"/api/v1{path}", json=body or {}, headers=self.tokens.headers(actor)
        )
        return response

    def ok(
        self, path: str, actor: Actor, body: dict[str, object] | None = None
    ) -> dict[str, object]:
        response = self.call(path, actor, body)
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()
        return result

    def case(self, case_id: int) -> dict[str, object]:
        result: dict[str, object] = self.client.get(f"/api/v1/cases/{case_id}").json()
        return result


def _at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def test_refusals_are_typed(loop_runtime: CentralRuntime, clock: ManualClock) -> None:
    loop = Loop(loop_runtime, clock)
    case_id = loop.open_case()
    illegal = loop.call(f"/cases/{case_id}/feedback", handler("sthb"))
    assert illegal.status_code == 409
    assert illegal.json() == {
        "code": "illegal_transition",
        "detail": illegal.json()["detail"],
        "action": "feedback",
        "state": "REGISTERED",
        "allowed_actions": ["dispatch", "hold", "void", "escalate"],
    }
    forbidden = loop.call(f"/cases/{case_id}/dispatch", OPERATOR)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")
    unknown = loop.call(f"/cases/{case_id}/dispatch", DISPATCHER, {"department": "nasa"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_request")
    assert loop.call(f"/cases/{case_id}/void", DISPATCHER, {"reason": ""}).status_code == 422
    assert loop.call("/cases/999999/dispatch", DISPATCHER).status_code == 404
    anonymous = TestClient(loop.runtime.app).post(f"/api/v1/cases/{case_id}/dispatch", json={})
    assert anonymous.status_code == 401
    # Review refusals: twice, self-duplicate, a reason-less 误报.
    incident_id = loop.case(case_id)["incident_id"]
    assert loop.call(f"/incidents/{incident_id}/verify", OPERATOR).status_code == 409
    assert (
        loop.call(f"/incidents/{incident_id}/reject", OPERATOR, {"reason": ""}).status_code == 422
    )
    other = make_alert(event_type=EventType.CROWD)
    other_id = loop_runtime.ingest.handle("gw/v1/alerts", encode_message(other)).incident_id
    self_dup = loop.call(f"/incidents/{other_id}/duplicate", OPERATOR, {"duplicate_of": other_id})
    assert self_dup.status_code == 400
    assert loop.call(f"/incidents/{other_id}/verify", handler("pcs")).status_code == 403

    schema = loop.client.get("/openapi.json").json()
    responses = schema["paths"]["/api/v1/cases/{case_id}/dispatch"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "403", "404", "409", "413", "422"}
    refs = {
        code: r["content"]["application/json"]["schema"]["$ref"] for code, r in responses.items()
    }
    assert refs["409"].endswith("/TransitionErrorOut")
    assert refs["403"].endswith("/ProblemOut")
    assert refs["200"].endswith("/CaseActionOut")


def test_hold_pauses_the_clock_and_extensions_move_deadlines(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    loop = Loop(loop_runtime, clock)
    case_id = loop.open_case()
    loop.ok(f"/cases/{case_id}/dispatch", DISPATCHER)
    clock.now = T0 + timedelta(minutes=10)
    accepted = loop.ok(f"/cases/{case_id}/accept", handler("sthb"))["case"]
    assert isinstance(accepted, dict)
    step_due, case_due = _at(accepted["step_due_at"]), _at(accepted["due_at"])
    assert step_due == T0 + timedelta(minutes=10, hours=24)

    loop.ok(f"/cases/{case_id}/hold", DISPATCHER, {"reason": "等待业主"})
    clock.now = T0 + timedelta(days=5)  # long past every deadline, but on hold
    assert loop_runtime.scheduler.tick() == []
    resumed = loop.ok(f"/cases/{case_id}/resume", DISPATCHER)["case"]
    assert isinstance(resumed, dict)
    paused = timedelta(days=5, minutes=-10)
    assert _at(resumed["step_due_at"]) == step_due + paused
    assert _at(resumed["due_at"]) == case_due + paused
    assert resumed["state"] == "IN_PROGRESS"

    request = loop.ok(f"/cases/{case_id}/extensions", handler("sthb"), {"hours": 6, "reason": "雨"})
    entry = request["entry"]
    assert isinstance(entry, dict)
    extension_id = entry["details"]["extension_id"]
    loop.ok(f"/cases/{case_id}/extensions/{extension_id}/reject", DISPATCHER)
    again = loop.call(f"/cases/{case_id}/extensions/{extension_id}/approve", DISPATCHER)
    assert again.status_code == 409
    assert _at(loop.case(case_id)["due_at"]) == case_due + paused  # a refusal moves nothing

    second = loop.ok(f"/cases/{case_id}/extensions", handler("sthb"), {"hours": 6, "reason": "雨"})
    assert isinstance(second["entry"], dict)
    second_id = second["entry"]["details"]["extension_id"]
    loop.ok(f"/cases/{case_id}/extensions/{second_id}/approve", DISPATCHER)
    moved = loop.case(case_id)
    assert _at(moved["due_at"]) == case_due + paused + timedelta(hours=6)
    assert _at(moved["step_due_at"]) == step_due + paused + timedelta(hours=6)
    listed = loop.client.get(f"/api/v1/cases/{case_id}/extensions").json()
    assert [(e["status"], e["decided_by"]) for e in listed] == [
        ("REJECTED", "user:disp-1"),
        ("APPROVED", "user:disp-1"),
    ]
