"""HTTP clients of the API for tests: logged in as the bootstrap admin or as any user."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime
from tests.central.helpers import ADMIN_PASSWORD, ADMIN_USERNAME


def login(client: TestClient, username: str, password: str) -> None:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


def admin_client(runtime: CentralRuntime) -> TestClient:
    client = TestClient(runtime.app)
    login(client, ADMIN_USERNAME, ADMIN_PASSWORD)
    return client
