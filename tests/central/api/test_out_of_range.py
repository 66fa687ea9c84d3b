"""Ids, offsets and text the database cannot hold answer 404 or 422, never 500 (issue 11), on
SQLite and on PostgreSQL: ids at or beyond 2^31 (an INTEGER column), huge or negative offsets,
and NUL characters (PostgreSQL text cannot contain them)."""

from __future__ import annotations

from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client

HUGE = [2**31, 2**31 + 1, 2**63, 10**30]
ID_ROUTES = [
    ("GET", "/api/v1/cases/{}"),
    ("GET", "/api/v1/cases/{}/timeline"),
    ("GET", "/api/v1/cases/{}/extensions"),
    ("GET", "/api/v1/incidents/{}"),
    ("POST", "/api/v1/incidents/{}/verify"),
    ("POST", "/api/v1/cases/{}/hold"),
    ("DELETE", "/api/v1/admin/api-keys/{}"),
    ("PATCH", "/api/v1/admin/users/{}"),
]
PAGED = ["/api/v1/alerts", "/api/v1/cases", "/api/v1/incidents", "/api/v1/admin/users"]


def test_out_of_range_ids_offsets_and_nul_never_fail_the_server(runtime: CentralRuntime) -> None:
    client = admin_client(runtime)
    answers: dict[str, int] = {}
    for method, template in ID_ROUTES:
        for value in [*HUGE, 0, -1, 2**31 - 1]:
            url = template.format(value)
            body: dict[str, object] | None = {} if method in {"POST", "PATCH"} else None
            answers[f"{method} {url}"] = client.request(method, url, json=body).status_code
    for path in PAGED:
        for offset in [*HUGE, -1]:
            answers[f"GET {path}?offset={offset}"] = client.get(
                path, params={"offset": offset}
            ).status_code
        answers[f"GET {path}?offset=2^31-1"] = client.get(
            path, params={"offset": 2**31 - 1}
        ).status_code
    answers["GET /api/v1/supervisions?case_id=2^31"] = client.get(
        "/api/v1/supervisions", params={"case_id": 2**31}
    ).status_code
    answers["duplicate_of 2^31"] = client.post(
        "/api/v1/incidents/1/duplicate", json={"duplicate_of": 2**31}
    ).status_code
    nul = "a\u0000b"
    answers["NUL in a query"] = client.get("/api/v1/cases", params={"grid_code": nul}).status_code
    answers["NUL in a body"] = client.post(
        "/api/v1/admin/users",
        json={"username": "nul", "password": "12345678", "role": "operator", "display_name": nul},
    ).status_code
    # SQLite stores a NUL; PostgreSQL cannot (422). Neither is a server error.
    wrong = {what: status for what, status in answers.items() if status not in {200, 201, 404, 422}}
    assert not wrong, wrong
    # The largest id that fits is an ordinary miss; beyond it, the request itself is invalid.
    assert answers["GET /api/v1/cases/2147483647"] == 404
    assert answers["GET /api/v1/cases/2147483648"] == 422
    assert answers["GET /api/v1/cases?offset=2^31-1"] == 200
