"""The OpenAPI document is truthful about errors, and every error has the one error model."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client

OPEN_ROUTES = {"/healthz", "/readyz", "/metrics", "/api/v1/auth/login"}
ERROR_SCHEMAS = {
    "#/components/schemas/ErrorOut",
    "#/components/schemas/ValidationErrorOut",
    # The case loop's refusals say more: which actions the case's state allows, and why.
    "#/components/schemas/ProblemOut",
    "#/components/schemas/TransitionErrorOut",
    # A refused grid import answers with the full validation report.
    "#/components/schemas/GridValidationReport",
}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_route_declares_its_error_responses(runtime: CentralRuntime) -> None:
    schema = runtime.app.openapi()
    operations = _operations(schema)
    assert len(operations) >= 14
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        declared = set(operation["responses"])
        assert "413" in declared, where  # the body limit applies to every request
        if path not in OPEN_ROUTES:
            assert "401" in declared, where
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in declared, where
        # A month is not a record: an empty month is a report of zeros, not a 404.
        if "{" in path and not path.endswith("{month}"):
            assert "404" in declared, where
        if path.startswith("/api/v1/admin"):
            assert "403" in declared, where
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                # JSON for every route; a CSV route's OpenAPI lists its errors as text/plain.
                (content,) = response["content"].values()
                body = content["schema"]
                assert body["$ref"] in ERROR_SCHEMAS, f"{where} {status}"
    security = schema["components"]["securitySchemes"]
    assert {s["type"] for s in security.values()} == {"http", "apiKey"}


def test_error_bodies_match_the_declared_models(runtime: CentralRuntime) -> None:
    client = admin_client(runtime)
    not_found = client.get("/api/v1/cases/123456")
    assert not_found.json() == {"code": "not_found", "detail": "case 123456 not found"}
    invalid = client.get("/api/v1/alerts", params={"limit": 0})
    body = invalid.json()
    assert (invalid.status_code, body["code"]) == (422, "validation_error")
    assert body["errors"][0]["loc"] == ["query", "limit"]
    unknown_route = TestClient(runtime.app).get("/api/v1/nothing-here")
    assert unknown_route.json()["code"] == "not_found"


def test_request_body_limit_gives_a_typed_413(runtime: CentralRuntime) -> None:
    client = admin_client(runtime)
    limit = runtime.config.max_request_body_bytes
    too_big = {"username": "x", "password": "p" * limit}
    declared = client.post("/api/v1/auth/login", json=too_big)
    assert declared.status_code == 413
    assert declared.json() == {
        "code": "request_too_large",
        "detail": f"request body larger than {limit} bytes",
    }

    def chunks() -> Any:  # no Content-Length: the middleware counts what arrives
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    streamed = client.post(
        "/api/v1/admin/users", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "request_too_large"
    small = client.post("/api/v1/auth/login", json={"username": "admin", "password": "nope-nope"})
    assert small.status_code == 401
