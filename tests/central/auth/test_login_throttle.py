"""Login rate limiting through the real API, console and shell, on SQLite and PostgreSQL.

Defaults (docs/access-control.md): 5 failed logins of one account or 20 from one address
within 15 min lock it for 15 min, or until an admin clears it. The count lives in the
database, so a second central process (a new engine here) honours a lockout the first set.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from gridwatch_central.auth.throttle import LoginLockedError, LoginThrottle
from gridwatch_central.config import LoginThrottleConfig
from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.migrate import upgrade_to_head
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client
from tests.central.helpers import EXAMPLE_GRID, EXAMPLE_ROUTING
from tests.conftest import REPO_ROOT

LOGIN = "/api/v1/auth/login"
ORIGIN = {"Origin": "http://testserver"}
DEFAULTS = LoginThrottleConfig()


def _user(admin: TestClient, name: str) -> str:
    password = f"{name}-password"
    body = {"username": name, "password": password, "role": "operator"}
    assert admin.post("/api/v1/admin/users", json=body).status_code == 201
    return password


def _login(client: TestClient, name: str, password: str) -> int:
    return int(client.post(LOGIN, json={"username": name, "password": password}).status_code)


def test_an_account_locks_after_repeated_failures_until_an_admin_clears_it(
    runtime: CentralRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    admin = admin_client(runtime)
    password = _user(admin, "wang")
    anyone = TestClient(runtime.app)
    caplog.set_level(logging.WARNING, logger="gridwatch_central.auth.throttle")
    for _ in range(DEFAULTS.account_failures):
        assert _login(anyone, "wang", "wrong-password") == 401
    locked = anyone.post(LOGIN, json={"username": "wang", "password": password})
    assert locked.status_code == 429  # the right password too: guessing learns nothing now
    assert locked.json()["code"] == "locked_out"
    assert 0 < int(locked.headers["retry-after"]) <= DEFAULTS.lockout_s
    assert any("login lockout: account 'wang' locked" in m for m in caplog.messages)

    # A second central process on the same database refuses it too.
    other = make_engine(runtime.config.database_url)
    try:
        with pytest.raises(LoginLockedError):
            LoginThrottle(make_sessions(other), DEFAULTS).check("wang", None)
    finally:
        other.dispose()

    lockouts = admin.get("/api/v1/auth/lockouts").json()
    assert [(x["kind"], x["subject"]) for x in lockouts] == [("account", "wang")]
    assert anyone.post("/api/v1/auth/lockouts/clear", json={"username": "wang"}).status_code == 401
    cleared = admin.post("/api/v1/auth/lockouts/clear", json={"username": "wang"})
    assert cleared.json() == {"cleared": 1}
    assert any("login lockout cleared by user:admin: account 'wang'" in m for m in caplog.messages)
    assert _login(anyone, "wang", password) == 200
    assert admin.get("/api/v1/auth/lockouts").json() == []


def test_one_address_trying_many_accounts_is_locked(central_runtime: CentralRuntime) -> None:
    admin = admin_client(central_runtime)
    password = _user(admin, "li")
    sprayer = TestClient(central_runtime.app)  # test clients all call from "testclient"
    for number in range(DEFAULTS.address_failures):
        assert _login(sprayer, f"guess-{number}", "Password1!") == 401
    assert _login(sprayer, "li", password) == 429  # a real user behind the same address waits
    locks = {(x["kind"], x["subject"]) for x in admin.get("/api/v1/auth/lockouts").json()}
    assert ("address", "testclient") in locks
    cleared = admin.post("/api/v1/auth/lockouts/clear", json={"address": "testclient"})
    assert cleared.json() == {"cleared": 1}
    assert _login(sprayer, "li", password) == 200
    assert admin.post("/api/v1/auth/lockouts/clear", json={}).status_code == 422


def test_the_console_login_counts_and_honours_the_same_lockout(runtime: CentralRuntime) -> None:
    admin = admin_client(runtime)
    password = _user(admin, "zhao")
    browser = TestClient(runtime.app)

    def console_login(secret: str) -> int:
        form = {"username": "zhao", "password": secret}
        page = browser.post("/console/login", data=form, headers=ORIGIN, follow_redirects=False)
        return int(page.status_code)

    for _ in range(DEFAULTS.account_failures - 1):
        assert console_login("wrong-password") == 401
    assert _login(browser, "zhao", "wrong-password") == 401  # the API's count is the same
    page = browser.post(
        "/console/login", data={"username": "zhao", "password": password}, headers=ORIGIN
    )
    assert page.status_code == 429
    assert "登录失败次数过多" in page.text
    assert admin.post("/api/v1/auth/lockouts/clear", json={"username": "zhao"}).status_code == 200
    assert console_login(password) == 303


def test_a_lockout_ends_by_itself_and_a_success_resets_the_count(database_url: str) -> None:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    config = LoginThrottleConfig(account_failures=3, lockout_s=60, window_s=60)
    throttle = LoginThrottle(make_sessions(engine), config, clock=lambda: now[0])
    try:
        throttle.failed("chen", "10.0.0.7")
        throttle.failed("chen", "10.0.0.7")
        throttle.succeeded("chen")  # the run of failures ends
        throttle.failed("chen", "10.0.0.7")
        throttle.failed("chen", "10.0.0.7")
        throttle.check("chen", "10.0.0.7")  # 2 since the success: still open
        throttle.failed("chen", "10.0.0.7")
        with pytest.raises(LoginLockedError) as locked:
            throttle.check("chen", "10.0.0.8")
        assert locked.value.retry_after_s == 60
        now[0] += timedelta(seconds=61)
        throttle.check("chen", "10.0.0.7")
        assert throttle.lockouts() == []
    finally:
        engine.dispose()


def test_the_shell_clears_a_lockout(tmp_path: Path, sqlite_url: str) -> None:
    upgrade_to_head(sqlite_url)
    engine = make_engine(sqlite_url)
    throttle = LoginThrottle(make_sessions(engine), LoginThrottleConfig(account_failures=1))
    throttle.failed("admin", None)
    with pytest.raises(LoginLockedError):
        throttle.check("admin", None)
    config = tmp_path / "central.yaml"
    document = {
        "database_url": sqlite_url,
        "grid_file": str(EXAMPLE_GRID),
        "routing_file": str(EXAMPLE_ROUTING),
        "snapshot_dir": str(tmp_path / "snapshots"),
    }
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    command = [sys.executable, "-m", "gridwatch", "central", "clear-lockout"]
    result = subprocess.run(
        [*command, "--config", str(config), "--username", "admin"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "login lockout cleared (1 record" in result.stdout
    throttle.check("admin", None)
    engine.dispose()
