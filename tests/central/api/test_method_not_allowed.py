"""A 405 names, in ``Allow``, every method the API documents for the path."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime


def test_a_wrong_method_lists_every_documented_method(central_runtime: CentralRuntime) -> None:
    """Starlette's 405 names the methods of the first route matching the path only."""
    client = TestClient(central_runtime.app)
    answer = client.request("OPTIONS", "/api/v1/cameras")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert client.request("PUT", "/api/v1/cases/1/extensions").headers["allow"] == "GET, POST"
