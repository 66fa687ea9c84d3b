"""``gridwatch central migrate|create-user|reset-password|import-grid`` as an admin runs them:
real subprocesses on SQLite and PostgreSQL, checked by logging in against the same database."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from gridwatch.mosquitto import free_port
from gridwatch_central.auth.passwords import Passwords
from gridwatch_central.auth.scope import Principal, Role
from gridwatch_central.auth.service import AuthService
from gridwatch_central.auth.tokens import InvalidCredentialsError, TokenIssuer
from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.migrate import head_revision
from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import EXAMPLE_GRID, EXAMPLE_ROUTING, HUANGSHUI_GRID
from tests.conftest import REPO_ROOT

# Reading the pseudo-terminal: the prompt appears within a second; 60 s covers a loaded box.
PROMPT_TIMEOUT_S = 60.0


def _write_config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "central.yaml"
    document = {
        "database_url": database_url,
        "grid_file": str(EXAMPLE_GRID),
        "routing_file": str(EXAMPLE_ROUTING),
        "snapshot_dir": str(tmp_path / "snapshots"),
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    return _write_config(tmp_path, database_url)


@pytest.fixture
def migrated(config: Path) -> Path:
    result = _central("migrate", config=config)
    assert result.returncode == 0, result.stderr
    return config


@pytest.fixture
def migrated_sqlite(tmp_path: Path, sqlite_url: str) -> Path:
    """For what does not depend on the database: password input, terminals, messages."""
    config = _write_config(tmp_path, sqlite_url)
    result = _central("migrate", config=config)
    assert result.returncode == 0, result.stderr
    return config


def _central(
    command: str,
    *args: str,
    config: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "GRIDWATCH_PASSWORD"}
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", "central", command, "--config", str(config), *args],
        input=stdin if stdin is not None else "",
        env={**environment, **(env or {})},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def auth(database_url: str) -> Iterator[AuthService]:
    """The real login service on the commands' database, as the API would use it."""
    engine = make_engine(database_url)
    issuer = TokenIssuer("test-" + uuid.uuid4().hex, timedelta(minutes=5))
    yield AuthService(make_sessions(engine), issuer, Passwords())
    engine.dispose()


def _log_in(auth: AuthService, username: str, password: str) -> Principal:
    token = auth.login(username, password).access_token
    return auth.principal_from_token(token)


def test_migrate_says_what_it_did_and_is_idempotent(config: Path) -> None:
    refused = _central("create-user", "admin", "--role", "admin", config=config, stdin="x" * 12)
    assert refused.returncode == 1
    assert "database is empty" in refused.stderr
    assert "gridwatch central migrate --config" in refused.stderr

    first = _central("migrate", config=config)
    assert first.returncode == 0, first.stderr
    assert f"migrated from empty to {head_revision()}" in first.stdout
    again = _central("migrate", config=config)
    assert again.returncode == 0, again.stderr
    assert f"already at {head_revision()}" in again.stdout


def test_create_user_with_a_scope_who_can_then_log_in(migrated: Path, auth: AuthService) -> None:
    result = _central(
        "create-user",
        "wang",
        "--role",
        "operator",
        "--grid",
        "500240101",
        "--grid",
        "500240102",
        "--department",
        "城管",
        "--password-stdin",
        config=migrated,
        stdin="operator-password-1\n",
    )
    assert result.returncode == 0, result.stderr
    assert "created user wang" in result.stdout
    assert "operator-password-1" not in result.stdout + result.stderr
    principal = _log_in(auth, "wang", "operator-password-1")
    assert principal.role is Role.OPERATOR
    assert principal.scope.grid_prefixes == {"500240101", "500240102"}
    assert principal.scope.departments == {"城管"}

    password = {"GRIDWATCH_PASSWORD": "p" * 9}
    taken = _central("create-user", "wang", "--role", "admin", config=migrated, env=password)
    assert taken.returncode == 1
    assert "taken" in taken.stderr


def test_bad_passwords_and_missing_ones_are_refused_without_echo(migrated_sqlite: Path) -> None:
    migrated = migrated_sqlite
    short = _central(
        "create-user", "li", "--role", "admin", "--password-stdin", config=migrated, stdin="abc\n"
    )
    assert short.returncode == 1
    assert "at least 8 characters" in short.stderr
    assert "abc" not in short.stderr.replace("characters", "")

    # No flag, no environment variable and no terminal: nothing to read a password from.
    none = _central("create-user", "li", "--role", "admin", config=migrated)
    assert none.returncode == 2
    assert "--password-stdin" in none.stderr
    assert "GRIDWATCH_PASSWORD" in none.stderr

    # There is no way to put the password on the command line, where ps would show it.
    argument = _central(
        "create-user", "li", "--role", "admin", "--password", "secret-123", config=migrated
    )
    assert argument.returncode == 2
    assert "unrecognized arguments" in argument.stderr


def test_reset_password_from_the_environment(migrated: Path, auth: AuthService) -> None:
    created = _central(
        "create-user",
        "zhao",
        "--role",
        "admin",
        config=migrated,
        env={"GRIDWATCH_PASSWORD": "first-password"},
    )
    assert created.returncode == 0, created.stderr
    reset = _central(
        "reset-password", "zhao", config=migrated, env={"GRIDWATCH_PASSWORD": "second-password"}
    )
    assert reset.returncode == 0, reset.stderr
    assert "password of zhao reset" in reset.stdout
    assert _log_in(auth, "zhao", "second-password").role is Role.ADMIN
    with pytest.raises(InvalidCredentialsError):
        auth.login("zhao", "first-password")


def test_reset_password_for_an_unknown_user_fails_by_name(migrated_sqlite: Path) -> None:
    migrated = migrated_sqlite
    result = _central(
        "reset-password",
        "nobody",
        "--password-stdin",
        config=migrated,
        stdin="whatever-password\n",
    )
    assert result.returncode == 1
    assert "no user named 'nobody'" in result.stderr


def _run_on_terminal(argv: list[str], answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as its controlling terminal, typing each answer once
    its prompt has appeared; returns the exit status and everything the terminal showed."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: its stdin, stdout, stderr and /dev/tty are the terminal
        os.chdir(REPO_ROOT)
        environment = {k: v for k, v in os.environ.items() if k != "GRIDWATCH_PASSWORD"}
        os.execve(sys.executable, [sys.executable, *argv], environment)
    output = b""
    seen = 0  # the part of the output already answered
    pending = list(answers)
    deadline = time.monotonic() + PROMPT_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child closed the terminal: it has ended
            break
        if not chunk:
            break
        output += chunk
        if pending and pending[0][0].encode() in output[seen:]:
            seen = len(output)
            os.write(terminal, pending.pop(0)[1].encode() + b"\n")
    finished, status = os.waitpid(pid, os.WNOHANG)
    if finished == 0:  # still running after the deadline
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    os.close(terminal)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_reset_password_at_a_terminal_asks_twice_and_never_echoes(
    migrated_sqlite: Path, sqlite_url: str
) -> None:
    migrated = migrated_sqlite
    engine = make_engine(sqlite_url)
    issuer = TokenIssuer("test-" + uuid.uuid4().hex, timedelta(minutes=5))
    auth = AuthService(make_sessions(engine), issuer, Passwords())
    created = _central(
        "create-user",
        "sun",
        "--role",
        "operator",
        "--password-stdin",
        config=migrated,
        stdin="sun-password-0\n",
    )
    assert created.returncode == 0, created.stderr
    argv = ["-m", "gridwatch", "central", "reset-password", "--config", str(migrated), "sun"]

    differing = [("New password:", "typed-password-1"), ("Repeat it:", "typed-password-2")]
    status, output = _run_on_terminal(argv, differing)
    assert status == 2, output
    assert "differ" in output
    assert _log_in(auth, "sun", "sun-password-0").name == "sun"

    matching = [("New password:", "typed-password-1"), ("Repeat it:", "typed-password-1")]
    status, output = _run_on_terminal(argv, matching)
    assert status == 0, output
    assert "New password:" in output
    assert "Repeat it:" in output
    assert "typed-password-1" not in output, "the terminal must not echo the password"
    assert _log_in(auth, "sun", "typed-password-1").name == "sun"
    engine.dispose()


def test_import_grid_puts_a_valid_file_in_force_and_refuses_a_broken_one(
    migrated: Path, database_url: str, tmp_path: Path
) -> None:
    result = _central("import-grid", str(HUANGSHUI_GRID), config=migrated)
    assert result.returncode == 0, result.stderr
    assert "grid version 1 in force" in result.stdout
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            latest = connection.execute(
                text("SELECT source, cell_count FROM grid_imports ORDER BY id DESC LIMIT 1")
            ).one()
    finally:
        engine.dispose()
    assert latest.source == f"file:{HUANGSHUI_GRID.resolve()}"
    assert latest.cell_count > 0

    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    refused = _central("import-grid", str(broken), config=migrated)
    assert refused.returncode == 1
    assert "nothing imported" in refused.stderr

    unreadable = _central("import-grid", str(tmp_path / "missing.geojson"), config=migrated)
    assert unreadable.returncode == 1
    assert "cannot read grid file" in unreadable.stderr


def test_a_bad_config_is_named_by_every_command(tmp_path: Path) -> None:
    config = tmp_path / "central.yaml"
    config.write_text("grid_file: x.geojson\ndatabase_url: mysql://nope\n", encoding="utf-8")
    for command, args in (("migrate", []), ("import-grid", ["x.geojson"])):
        result = _central(command, *args, config=config)
        assert result.returncode == 2, command
        assert "database_url" in result.stderr


def _serve_until(config: Path, marker: str) -> list[str]:
    """Start ``gridwatch central serve``, collect its log until a line holds ``marker``, stop it."""
    environment = {k: v for k, v in os.environ.items() if k != "GRIDWATCH_ADMIN_PASSWORD"}
    command = [sys.executable, "-m", "gridwatch", "--log-level", "info", "central", "serve"]
    server = subprocess.Popen(
        [*command, "--config", str(config)],
        env=environment,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + PROMPT_TIMEOUT_S
    try:
        while time.monotonic() < deadline and not any(marker in line for line in lines):
            ready, _, _ = select.select([server.stderr], [], [], 0.5)
            if ready:
                line = server.stderr.readline()
                if not line:
                    break
                lines.append(line)
    finally:
        server.terminate()
        server.wait(30)
    assert any(marker in line for line in lines), "".join(lines)
    return lines


def test_serve_without_an_admin_says_what_to_run(
    tmp_path: Path, sqlite_url: str, broker: BrokerConfig
) -> None:
    config = _write_config(tmp_path, sqlite_url)
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["broker"] = {
        "host": broker.host,
        "port": broker.port,
        "topic_prefix": broker.topic_prefix,
    }
    document["http"] = {"host": "127.0.0.1", "port": free_port()}
    document["client_id"] = f"central-{uuid.uuid4().hex[:12]}"
    config.write_text(yaml.safe_dump(document), encoding="utf-8")

    lines = _serve_until(config, "central started")
    warning = next(line for line in lines if "no active admin user" in line)
    assert "WARNING" in warning
    assert f"gridwatch central create-user --config {config} admin --role admin" in warning

    created = _central(
        "create-user",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
        config=config,
        stdin="admin-password\n",
    )
    assert created.returncode == 0, created.stderr
    lines = _serve_until(config, "central started")
    assert not any("no active admin user" in line for line in lines)
