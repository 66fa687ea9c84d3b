"""A real Mosquitto started from the configuration ``gridwatch broker init`` ships.

The broker's files are written by the CLI itself into a test folder, on a free loopback port;
accounts are added through the CLI as an operator would, and each account's ``BrokerConfig``
reads its password from the file the CLI wrote (``password_file``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gridwatch.cli import main as gridwatch
from gridwatch.mosquitto import ManagedMosquitto, free_port
from gridwatch_central.broker_accounts.roles import AccountPlan
from gridwatch_contract.broker import BrokerConfig


@dataclass(frozen=True, slots=True)
class SecuredBroker:
    mosquitto: ManagedMosquitto
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def anonymous(self) -> BrokerConfig:
        return self.config()

    def config(self, **fields: object) -> BrokerConfig:
        return BrokerConfig.model_validate({"host": "127.0.0.1", "port": self.port, **fields})

    def account(self, username: str) -> BrokerConfig:
        return self.config(username=username, password_file=self.password_file(username))

    def password_file(self, username: str) -> Path:
        return self.folder / "secrets" / f"{username}.password"

    def admin(self, action: str, subject: str, *extra: str) -> int:
        """``gridwatch broker <action> <subject>`` with the admin's password file."""
        admin_password = str(self.password_file("admin"))
        arguments = ["--broker", self.url, "--admin-password-file", admin_password, *extra]
        return gridwatch(["broker", action, subject, *arguments])

    def add_edge(self, edge_id: str) -> BrokerConfig:
        username = AccountPlan.edge_username(edge_id)
        out = str(self.password_file(username))
        assert self.admin("add-edge", edge_id, "--password-out", out) == 0
        return self.account(username)


@contextmanager
def secured_broker(folder: Path, *init_options: str) -> Iterator[SecuredBroker]:
    port = free_port()
    init = ["broker", "init", "--out", str(folder), "--bind", "127.0.0.1", "--port", str(port)]
    assert gridwatch([*init, *init_options]) == 0
    with ManagedMosquitto(conf=folder / "mosquitto.conf", port=port) as mosquitto:
        yield SecuredBroker(mosquitto, folder, port)
