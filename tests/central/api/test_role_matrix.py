"""Who may call what: every route of the API's OpenAPI for every role, from one table.

``EXPECTED`` names, for each operation, the roles the route lets through its gate. The test
calls every operation as every role (and as nobody) and checks the gate: a role listed must
not get 401/403; a role not listed must get 403 (401 when anonymous). An operation missing
from the table, or listed but gone from the API, fails the test, so a new route is declared
here before it ships.

"Through the gate" is not "succeeds": the calls use ids that name no row and an empty body, so
an admitted caller gets 404 or 422 and nothing changes. Role checks therefore must happen in
dependencies (before the body is read), never after validation. Scope (which rows a caller
sees) is tested beside each feature (tests/central/auth/test_access.py, cameras/test_scope.py);
what each case action allows each role is the case loop's transition table
(tests/central/cases/test_transitions.py): those routes admit every staff role here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gridwatch_central.auth.scope import Role
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client, login

ANONYMOUS = "anonymous"
OP, DISP, HANDLER, INTEG, GATEWAY, ADMIN = (
    Role.OPERATOR.value,
    Role.DISPATCHER.value,
    Role.DEPARTMENT_HANDLER.value,
    Role.INTEGRATOR.value,
    Role.GATEWAY.value,
    Role.ADMIN.value,
)
CALLERS = (OP, DISP, HANDLER, INTEG, GATEWAY, ADMIN, ANONYMOUS)

EVERYONE = frozenset(CALLERS)
# Every authenticated caller except a sensor gateway's key (it posts batches only).
STAFF = frozenset({OP, DISP, HANDLER, INTEG, ADMIN})
ADMIN_ONLY = frozenset({ADMIN})
# Who watches places (cameras, edges): not department handlers, who act on their cases.
WATCHERS = frozenset({OP, DISP, INTEG, ADMIN})
CAMERA_WRITERS = frozenset({INTEG, ADMIN})
SENSOR_WRITERS = frozenset({INTEG, ADMIN})
LIVE_VIEWERS = frozenset({OP, INTEG, ADMIN})
INGEST_WATCHERS = frozenset({OP, ADMIN})
GATEWAYS = frozenset({GATEWAY, ADMIN})
# The case loop's write routes: every staff role passes the gate; the transition table
# decides per action, state and department (403 from the loop, tested with the loop).
CASE_LOOP = STAFF

A = "/api/v1"
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", f"{A}/auth/login"): EVERYONE,
    ("GET", f"{A}/auth/me"): STAFF | {GATEWAY},
    ("POST", f"{A}/auth/lockouts/clear"): ADMIN_ONLY,
    ("GET", f"{A}/auth/lockouts"): ADMIN_ONLY,
    ("POST", f"{A}/admin/users"): ADMIN_ONLY,
    ("GET", f"{A}/admin/users"): ADMIN_ONLY,
    ("PATCH", f"{A}/admin/users/{{user_id}}"): ADMIN_ONLY,
    ("POST", f"{A}/admin/api-keys"): ADMIN_ONLY,
    ("GET", f"{A}/admin/api-keys"): ADMIN_ONLY,
    ("DELETE", f"{A}/admin/api-keys/{{key_id}}"): ADMIN_ONLY,
    ("GET", f"{A}/alerts"): STAFF,
    ("GET", f"{A}/alerts/{{alert_id}}"): STAFF,
    ("GET", f"{A}/alerts/{{alert_id}}/snapshot"): STAFF,
    ("GET", f"{A}/alerts/{{alert_id}}/links"): STAFF,
    ("GET", f"{A}/alerts/{{alert_id}}/links/{{camera_id}}/snapshot"): STAFF,
    ("GET", f"{A}/cases"): STAFF,
    ("GET", f"{A}/cases/{{case_id}}"): STAFF,
    ("GET", f"{A}/ingest/quarantine"): INGEST_WATCHERS,
    ("GET", f"{A}/ingest/stats"): INGEST_WATCHERS,
    ("POST", f"{A}/grids/import"): ADMIN_ONLY,
    ("GET", f"{A}/grids/export"): STAFF,
    ("GET", f"{A}/grids"): STAFF,
    ("GET", f"{A}/grids/locate"): STAFF,
    ("POST", f"{A}/cameras"): CAMERA_WRITERS,
    ("GET", f"{A}/cameras"): WATCHERS,
    ("GET", f"{A}/cameras/{{camera_id}}"): WATCHERS,
    ("PUT", f"{A}/cameras/{{camera_id}}"): CAMERA_WRITERS,
    ("DELETE", f"{A}/cameras/{{camera_id}}"): CAMERA_WRITERS,
    ("GET", f"{A}/cameras/{{camera_id}}/live-snapshot"): LIVE_VIEWERS,
    ("POST", f"{A}/cameras/import"): CAMERA_WRITERS,
    ("GET", f"{A}/camera-analysis-schema"): WATCHERS,
    ("GET", f"{A}/cameras/{{camera_id}}/analysis"): WATCHERS,
    ("PUT", f"{A}/cameras/{{camera_id}}/analysis"): CAMERA_WRITERS,
    ("GET", f"{A}/categories"): STAFF,
    ("GET", f"{A}/incidents"): STAFF,
    ("GET", f"{A}/incidents/{{incident_id}}"): STAFF,
    ("POST", f"{A}/incidents/{{incident_id}}/verify"): CASE_LOOP,
    ("POST", f"{A}/incidents/{{incident_id}}/reject"): CASE_LOOP,
    ("POST", f"{A}/incidents/{{incident_id}}/duplicate"): CASE_LOOP,
    **{
        ("POST", f"{A}/cases/{{case_id}}/{action}"): CASE_LOOP
        for action in (
            "dispatch",
            "accept",
            "return",
            "feedback",
            "check-pass",
            "check-fail",
            "hold",
            "resume",
            "void",
            "escalate",
            "evaluate",
            "extensions",
        )
    },
    ("GET", f"{A}/cases/{{case_id}}/extensions"): STAFF,
    ("POST", f"{A}/cases/{{case_id}}/extensions/{{extension_id}}/approve"): CASE_LOOP,
    ("POST", f"{A}/cases/{{case_id}}/extensions/{{extension_id}}/reject"): CASE_LOOP,
    ("GET", f"{A}/cases/{{case_id}}/timeline"): STAFF,
    ("GET", f"{A}/supervisions"): STAFF,
    ("GET", f"{A}/metrics"): STAFF,
    ("GET", f"{A}/metrics.csv"): STAFF,
    ("GET", f"{A}/reports/monthly"): STAFF,
    ("GET", f"{A}/reports/monthly/{{month}}"): STAFF,
    ("GET", f"{A}/clips/{{clip_id}}"): STAFF,
    ("GET", f"{A}/clips/{{clip_id}}/video"): STAFF,
    ("GET", f"{A}/edges"): WATCHERS,
    ("GET", f"{A}/edges/{{edge_id}}"): WATCHERS,
    ("POST", f"{A}/edges"): CAMERA_WRITERS,
    ("PUT", f"{A}/edges/{{edge_id}}"): CAMERA_WRITERS,
    ("DELETE", f"{A}/edges/{{edge_id}}"): CAMERA_WRITERS,
    ("POST", f"{A}/sensors"): SENSOR_WRITERS,
    ("GET", f"{A}/sensors"): STAFF,
    ("GET", f"{A}/sensors/metrics"): STAFF,
    ("POST", f"{A}/sensors/import"): SENSOR_WRITERS,
    ("GET", f"{A}/sensors/{{sensor_id}}"): STAFF,
    ("PUT", f"{A}/sensors/{{sensor_id}}"): SENSOR_WRITERS,
    ("DELETE", f"{A}/sensors/{{sensor_id}}"): SENSOR_WRITERS,
    ("GET", f"{A}/sensors/{{sensor_id}}/samples"): STAFF,
    ("POST", f"{A}/sensors/batches"): GATEWAYS,
    # Probes and Prometheus: open, as load balancers and scrapers call them without accounts.
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    ("GET", "/metrics"): EVERYONE,
}

# Values for path parameters that name no row, so an admitted call changes nothing.
_MISSING = {
    "user_id": "999999",
    "key_id": "999999",
    "case_id": "999999",
    "incident_id": "999999",
    "extension_id": "999999",
    "alert_id": str(uuid.UUID(int=1)),
    "clip_id": str(uuid.UUID(int=1)),
    "camera_id": "no-such-camera",
    "sensor_id": "no-such-sensor",
    "edge_id": "no-such-edge",
    "month": "2020-01",
}
STREET = "500240101"


def _operations(runtime: CentralRuntime) -> set[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = runtime.app.openapi()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _MISSING[m.group(1)], path)


@pytest.fixture
def callers(central_runtime: CentralRuntime) -> Iterator[dict[str, TestClient]]:
    admin = admin_client(central_runtime)
    clients = {ADMIN: admin, ANONYMOUS: TestClient(central_runtime.app)}
    for role, scope in (
        (OP, {"grid_prefixes": [STREET]}),
        (DISP, {"grid_prefixes": [STREET]}),
        (HANDLER, {"departments": ["城管"]}),
    ):
        name = f"matrix-{role.replace('_', '-')}"
        body = {"username": name, "password": f"{name}-pw", "role": role, **scope}
        assert admin.post(f"{A}/admin/users", json=body).status_code == 201
        clients[role] = TestClient(central_runtime.app)
        login(clients[role], name, f"{name}-pw")
    for role, name in ((INTEG, "matrix-integrator"), (GATEWAY, "gw-matrix")):
        body = {"name": name, "role": role, "grid_prefixes": [STREET]}
        created = admin.post(f"{A}/admin/api-keys", json=body)
        assert created.status_code == 201, created.text
        clients[role] = TestClient(
            central_runtime.app, headers={"X-API-Key": created.json()["api_key"]}
        )
    yield clients
    for client in clients.values():
        client.close()


def test_every_route_is_in_the_table(central_runtime: CentralRuntime) -> None:
    served = _operations(central_runtime)
    undeclared = sorted(served - EXPECTED.keys())
    gone = sorted(EXPECTED.keys() - served)
    assert not undeclared, f"routes missing from EXPECTED (declare who may call them): {undeclared}"
    assert not gone, f"EXPECTED lists routes the API no longer serves: {gone}"


def test_role_matrix(callers: dict[str, TestClient]) -> None:
    wrong: list[str] = []
    cases = 0
    for (method, path), allowed in sorted(EXPECTED.items()):
        url = _concrete(path)
        for caller in CALLERS:
            cases += 1
            body: dict[str, object] | None = {} if method in {"POST", "PUT", "PATCH"} else None
            status = callers[caller].request(method, url, json=body).status_code
            if caller in allowed:
                ok = status not in {401, 403} and status < 500
            else:
                ok = status == (401 if caller == ANONYMOUS else 403)
            if not ok:
                verdict = "allow" if caller in allowed else "deny"
                wrong.append(f"{method} {path} as {caller}: {status}, expected {verdict}")
    assert cases == len(EXPECTED) * len(CALLERS)
    assert not wrong, "\n".join(wrong)
