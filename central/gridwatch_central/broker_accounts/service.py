"""Broker accounts at run time: create, rotate, disable and delete edges' (and central's).

The running broker changes at once; nothing restarts. An edge's account and its role are
created together and deleted together, so a deleted edge leaves no rule behind.
"""

from __future__ import annotations

from gridwatch_central.broker_accounts.control import BrokerAccountError, DynsecControl
from gridwatch_central.broker_accounts.credentials import Credentials, generate_password
from gridwatch_central.broker_accounts.roles import AccountPlan, Role

# The plugin's answer when a role of that name exists (left by an interrupted create_edge).
ROLE_EXISTS = "Role already exists"


class BrokerAccounts:
    def __init__(self, control: DynsecControl, plan: AccountPlan) -> None:
        self._control = control
        self._plan = plan

    def create_edge(self, edge_id: str, password: str | None = None) -> Credentials:
        """A new account for edge ``edge_id`` limited to its own topics."""
        credentials = Credentials(
            self._plan.edge_username(edge_id), password or generate_password()
        )
        self._create(credentials, self._plan.edge_role(edge_id))
        return credentials

    def create_gateway(self, gateway_id: str, password: str | None = None) -> Credentials:
        """A new account for sensor gateway ``gateway_id``, limited to its own batches."""
        credentials = Credentials(
            self._plan.gateway_username(gateway_id), password or generate_password()
        )
        self._create(credentials, self._plan.gateway_role(gateway_id))
        return credentials

    def set_gateway_password(self, gateway_id: str, password: str | None = None) -> Credentials:
        return self.set_password(self._plan.gateway_username(gateway_id), password)

    def delete_gateway(self, gateway_id: str) -> None:
        self._control.run(
            {"command": "deleteClient", "username": self._plan.gateway_username(gateway_id)}
        )
        self._control.run(
            {"command": "deleteRole", "rolename": self._plan.gateway_role_name(gateway_id)}
        )

    def create_central(self, password: str | None = None) -> Credentials:
        credentials = Credentials(self._plan.central_username, password or generate_password())
        self._create(credentials, self._plan.central_role())
        return credentials

    def set_password(self, username: str, password: str | None = None) -> Credentials:
        """Rotate: the old password stops working and its connections are closed."""
        credentials = Credentials(username, password or generate_password())
        self._control.run(
            {"command": "setClientPassword", "username": username, "password": credentials.password}
        )
        return credentials

    def set_edge_password(self, edge_id: str, password: str | None = None) -> Credentials:
        return self.set_password(self._plan.edge_username(edge_id), password)

    def disable_edge(self, edge_id: str) -> None:
        """The account stays (re-enable it later) but cannot connect; it is disconnected now."""
        self._control.run(
            {"command": "disableClient", "username": self._plan.edge_username(edge_id)}
        )

    def enable_edge(self, edge_id: str) -> None:
        self._control.run(
            {"command": "enableClient", "username": self._plan.edge_username(edge_id)}
        )

    def delete_edge(self, edge_id: str) -> None:
        self._control.run(
            {"command": "deleteClient", "username": self._plan.edge_username(edge_id)}
        )
        self._control.run({"command": "deleteRole", "rolename": self._plan.edge_role_name(edge_id)})

    def _create(self, credentials: Credentials, role: Role) -> None:
        created = self._control.execute([{"command": "createRole", **role.document()}])[0]
        if created.error is not None and created.error != ROLE_EXISTS:
            raise BrokerAccountError(f"createRole {role.name}: {created.error}")
        client = self._control.execute(
            [
                {
                    "command": "createClient",
                    "username": credentials.username,
                    "password": credentials.password,
                    "roles": [{"rolename": role.name}],
                }
            ]
        )[0]
        if client.error is not None:
            raise BrokerAccountError(
                f"account {credentials.username!r}: {client.error} (rotate an existing"
                " account's password instead)"
            )
