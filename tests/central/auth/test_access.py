"""Authentication and scoping through the real API on SQLite and PostgreSQL.

Street A (黄水镇 500240101) and street B (500240102) each have an operator; neither may see
the other's alerts or cases, in lists or by id.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import GeoPoint
from tests.central.api.clients import admin_client, login
from tests.central.helpers import make_alert

TOPIC = "gridwatch/v1/alerts/edge-01/cam-01/crowd"
STREET_A = "500240101"
STREET_B = "500240102"
POINT_A = GeoPoint(lat=30.2290, lon=108.3985)
POINT_B = GeoPoint(lat=30.2250, lon=108.4150)


def _ingest(runtime: CentralRuntime, point: GeoPoint) -> tuple[uuid.UUID, int]:
    """A crowd alert at ``point``, verified by the admin so that it becomes a case."""
    outcome = runtime.ingest.handle(TOPIC, encode_message(make_alert(location=point)))
    assert outcome.status == "stored"
    assert outcome.alert_id is not None
    verify = f"/api/v1/incidents/{outcome.incident_id}/verify"
    verified = admin_client(runtime).post(verify, json={})
    assert verified.status_code == 200, verified.text
    case_id: int = verified.json()["case"]["id"]
    return outcome.alert_id, case_id


def _user(admin: TestClient, runtime: CentralRuntime, name: str, **spec: object) -> TestClient:
    body = {"username": name, "password": f"{name}-password", "role": "operator", **spec}
    created = admin.post("/api/v1/admin/users", json=body)
    assert created.status_code == 201, created.text
    client = TestClient(runtime.app)
    login(client, name, f"{name}-password")
    return client


def test_street_a_never_sees_street_b(runtime: CentralRuntime) -> None:
    alert_a, case_a = _ingest(runtime, POINT_A)
    alert_b, case_b = _ingest(runtime, POINT_B)
    admin = admin_client(runtime)
    street_a = _user(admin, runtime, "op-a", grid_prefixes=[STREET_A])
    street_b = _user(admin, runtime, "op-b", grid_prefixes=[STREET_B])

    for client, mine, theirs, my_case, their_case in (
        (street_a, alert_a, alert_b, case_a, case_b),
        (street_b, alert_b, alert_a, case_b, case_a),
    ):
        alerts = client.get("/api/v1/alerts").json()
        assert [a["alert_id"] for a in alerts["items"]] == [str(mine)]
        assert alerts["total"] == 1
        cases = client.get("/api/v1/cases").json()
        assert [c["id"] for c in cases["items"]] == [my_case]
        assert client.get(f"/api/v1/alerts/{mine}").status_code == 200
        assert client.get(f"/api/v1/cases/{my_case}").status_code == 200
        # Outside the scope is indistinguishable from missing: 404, never 403.
        for path in (
            f"/api/v1/alerts/{theirs}",
            f"/api/v1/alerts/{theirs}/snapshot",
            f"/api/v1/cases/{their_case}",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json()["code"] == "not_found"
        # Filtering by the other street's grid code does not widen the scope.
        other = STREET_B if client is street_a else STREET_A
        assert (
            client.get("/api/v1/alerts", params={"grid_code": other + "000000"}).json()["total"]
            == 0
        )
    assert admin.get("/api/v1/alerts").json()["total"] == 2


def test_full_code_scope_and_empty_scope(runtime: CentralRuntime) -> None:
    _ingest(runtime, POINT_A)
    _ingest(runtime, POINT_B)
    admin = admin_client(runtime)
    micro = _user(admin, runtime, "grid-worker", grid_prefixes=["500240101001002"])
    assert micro.get("/api/v1/alerts").json()["total"] == 1
    nobody = _user(admin, runtime, "new-hire")  # no grids, no department: sees nothing
    assert nobody.get("/api/v1/alerts").json()["total"] == 0
    assert nobody.get("/api/v1/cases").json()["total"] == 0
    district = _user(admin, runtime, "district", grid_prefixes=["500240"])
    assert district.get("/api/v1/cases").json()["total"] == 2


def test_authentication_is_required_and_checked(runtime: CentralRuntime) -> None:
    anonymous = TestClient(runtime.app)
    response = anonymous.get("/api/v1/alerts")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"
    bad_login = anonymous.post(
        "/api/v1/auth/login", json={"username": "admin", "password": "wrong-password"}
    )
    assert bad_login.status_code == 401
    unknown = anonymous.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    assert unknown.json()["detail"] == bad_login.json()["detail"]  # no username probing
    forged = anonymous.get("/api/v1/alerts", headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 401
    assert anonymous.get("/api/v1/alerts", headers={"X-API-Key": "gwk_x"}).status_code == 401
    assert anonymous.get("/healthz").status_code == 200  # probes stay open


def test_roles_guard_admin_and_quarantine(runtime: CentralRuntime) -> None:
    runtime.ingest.handle(TOPIC, b"[1]")
    admin = admin_client(runtime)
    operator = _user(admin, runtime, "op", grid_prefixes=[STREET_A])
    dispatcher = _user(admin, runtime, "disp", role="dispatcher", grid_prefixes=[STREET_A])
    assert operator.get("/api/v1/admin/users").status_code == 403
    assert operator.post("/api/v1/admin/api-keys", json={"name": "x"}).status_code == 403
    assert dispatcher.get("/api/v1/ingest/quarantine").status_code == 403
    # A grid-scoped operator may open the quarantine but sees nothing: no grid owns it.
    assert operator.get("/api/v1/ingest/quarantine").json()["total"] == 0
    assert admin.get("/api/v1/ingest/quarantine").json()["total"] == 1
    me = operator.get("/api/v1/auth/me").json()
    assert (me["role"], me["grid_prefixes"], me["unrestricted"]) == ("operator", [STREET_A], False)


def test_api_keys_are_shown_once_scoped_and_revocable(runtime: CentralRuntime) -> None:
    _ingest(runtime, POINT_A)
    _ingest(runtime, POINT_B)
    admin = admin_client(runtime)
    created = admin.post(
        "/api/v1/admin/api-keys", json={"name": "city-brain", "grid_prefixes": [STREET_B]}
    )
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    listed = admin.get("/api/v1/admin/api-keys").json()
    assert listed["total"] == 1
    assert "api_key" not in listed["items"][0]
    integrator = TestClient(runtime.app, headers={"X-API-Key": key})
    assert integrator.get("/api/v1/alerts").json()["total"] == 1
    assert integrator.get("/api/v1/auth/me").json()["kind"] == "api_key"
    tampered = TestClient(runtime.app, headers={"X-API-Key": key[:-2] + "xx"})
    assert tampered.get("/api/v1/alerts").status_code == 401
    key_row = created.json()["id"]
    assert admin.delete(f"/api/v1/admin/api-keys/{key_row}").json()["revoked_at"] is not None
    assert integrator.get("/api/v1/alerts").status_code == 401
    assert admin.delete("/api/v1/admin/api-keys/999999").status_code == 404


def test_user_admin_conflicts_and_deactivation(runtime: CentralRuntime) -> None:
    admin = admin_client(runtime)
    worker = _user(admin, runtime, "wang", grid_prefixes=[STREET_A])
    duplicate = admin.post(
        "/api/v1/admin/users",
        json={"username": "wang", "password": "another-password", "role": "operator"},
    )
    assert duplicate.status_code == 409
    users = admin.get("/api/v1/admin/users").json()
    assert {u["username"] for u in users["items"]} == {"admin", "wang"}
    wang = next(u for u in users["items"] if u["username"] == "wang")
    admin_id = next(u["id"] for u in users["items"] if u["username"] == "admin")
    # The last admin cannot be demoted: nobody could administer afterwards.
    assert (
        admin.patch(f"/api/v1/admin/users/{admin_id}", json={"role": "operator"}).status_code == 409
    )
    patched = admin.patch(f"/api/v1/admin/users/{wang['id']}", json={"active": False})
    assert patched.json()["active"] is False
    assert worker.get("/api/v1/alerts").status_code == 401  # a live token stops working
    bad = admin.post(
        "/api/v1/admin/users",
        json={
            "username": "li",
            "password": "li-password",
            "role": "operator",
            "grid_prefixes": ["50%"],
        },
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"


@pytest.mark.parametrize("enabled", [False])
def test_auth_can_be_switched_off_for_a_lab(runtime: CentralRuntime, enabled: bool) -> None:
    config = runtime.config.model_copy(
        update={"auth": runtime.config.auth.model_copy(update={"enabled": enabled})}
    )
    lab = CentralRuntime(config)
    lab.start()
    try:
        assert TestClient(lab.app).get("/api/v1/alerts").status_code == 200
    finally:
        lab.stop()
