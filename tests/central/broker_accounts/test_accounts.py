"""Edge accounts managed at run time through ``gridwatch broker ...`` on a real broker:
no restart, and every change holds at once for connections already open."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridwatch.cli import main as gridwatch
from gridwatch_central.broker_accounts import AccountPlan, DynsecControl
from tests.mqtt_probe import BrokerClosedError, Probe
from tests.secured_broker import SecuredBroker, secured_broker

EDGE = "box-7"
USERNAME = AccountPlan.edge_username(EDGE)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[SecuredBroker]:
    with secured_broker(tmp_path) as running:
        yield running


def _accepted(broker: SecuredBroker, password: str | None = None) -> bool:
    config = (
        broker.account(USERNAME)
        if password is None
        else broker.config(username=USERNAME, password=password)
    )
    probe = Probe(config, "edge")
    try:
        return not probe.connect().is_failure
    except BrokerClosedError:
        return False
    finally:
        probe.close()


def _connected_edge(broker: SecuredBroker) -> Probe:
    probe = Probe(broker.account(USERNAME), "edge")
    assert not probe.connect().is_failure
    return probe


def test_add_edge_creates_an_account_that_can_connect_once(
    broker: SecuredBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    broker.add_edge(EDGE)
    printed = capsys.readouterr().out
    password = broker.password_file(USERNAME).read_text(encoding="utf-8").strip()
    assert f"username: {USERNAME}" in printed
    assert f"password: {password}" in printed
    assert broker.password_file(USERNAME).stat().st_mode & 0o777 == 0o600
    assert _accepted(broker)
    assert broker.admin("add-edge", EDGE) == 2
    assert "already exists" in capsys.readouterr().err


def test_rotating_a_password_locks_the_old_one_out(broker: SecuredBroker) -> None:
    broker.add_edge(EDGE)
    old = broker.password_file(USERNAME).read_text(encoding="utf-8").strip()
    edge = _connected_edge(broker)
    try:
        out = str(broker.password_file(USERNAME))
        assert broker.admin("set-edge-password", EDGE, "--password-out", out) == 0
        edge.wait_disconnected()  # a session opened with the old password ends too
    finally:
        edge.close()
    assert not _accepted(broker, old)
    assert _accepted(broker)


def test_a_disabled_edge_is_disconnected_and_kept_out_until_enabled(
    broker: SecuredBroker,
) -> None:
    broker.add_edge(EDGE)
    edge = _connected_edge(broker)
    try:
        assert broker.admin("disable-edge", EDGE) == 0
        edge.wait_disconnected()
        assert not _accepted(broker)
        assert broker.admin("enable-edge", EDGE) == 0
        assert _accepted(broker)
    finally:
        edge.close()


def test_a_deleted_edge_leaves_no_account_and_no_role(broker: SecuredBroker) -> None:
    broker.add_edge(EDGE)
    assert broker.admin("delete-edge", EDGE) == 0
    assert not _accepted(broker)
    with DynsecControl(broker.account("admin")) as control:
        roles = control.run({"command": "listRoles"}).data
        clients = control.run({"command": "listClients"}).data
    assert roles is not None
    assert clients is not None
    assert AccountPlan(broker.anonymous.topics).edge_role_name(EDGE) not in roles["roles"]
    assert USERNAME not in clients["clients"]
    # The plugin wrote the change to its file: a restarted broker keeps it.
    saved = json.loads((broker.folder / "dynsec.json").read_text(encoding="utf-8"))
    assert USERNAME not in [client["username"] for client in saved["clients"]]


def test_the_wrong_admin_password_changes_nothing(
    broker: SecuredBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-admin-password\n", encoding="utf-8")
    arguments = ["--broker", broker.url, "--admin-password-file", str(wrong)]
    assert gridwatch(["broker", "add-edge", EDGE, *arguments]) == 2
    assert "refused the admin account 'admin'" in capsys.readouterr().err
    assert not _accepted(broker, "anything")


def test_init_never_overwrites_existing_accounts_unless_forced(
    broker: SecuredBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    dynsec = broker.folder / "dynsec.json"
    before = dynsec.read_text(encoding="utf-8")
    init = ["broker", "init", "--out", str(broker.folder)]
    assert gridwatch(init) == 2
    assert "already exists" in capsys.readouterr().err
    assert dynsec.read_text(encoding="utf-8") == before
    assert gridwatch([*init, "--force"]) == 0
    assert dynsec.read_text(encoding="utf-8") != before
