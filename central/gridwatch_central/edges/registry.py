"""The edge registry: edges as records an admin or integrator creates, names, places on the
grid and removes. A registered edge takes its cameras from central (``cameras.config_push``);
an edge central merely heard of keeps the cameras of its own YAML.

Registering returns the edge's broker credentials once: created on the broker through its
dynamic-security admin account when ``onboarding.broker_admin`` is configured, otherwise
generated for the broker's operator to add.
Central keeps no copy of the password. It also returns the edge's bootstrap file: everything
``gridwatch edge run`` needs to start with no camera and wait for its config.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from gridwatch_central.broker_accounts import (
    AccountPlan,
    BrokerAccountError,
    BrokerAccounts,
    DynsecControl,
    generate_password,
)
from gridwatch_central.db import edge_config_repository as repo
from gridwatch_central.db import grid_repository
from gridwatch_central.grid.codes import MAX_GRID_CODE_LENGTH
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_contract.topics import validate_id


class EdgeRegistryError(ValueError):
    """A registry change that cannot be made; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EdgeFields(_In):
    name: str = Field(min_length=1, max_length=200, description="What people call the box")
    grid_code: str | None = Field(
        default=None,
        max_length=MAX_GRID_CODE_LENGTH,
        pattern=r"^[0-9A-Za-z]+$",
        description="The grid cell the box stands in",
    )


class EdgeIn(EdgeFields):
    id: str = Field(min_length=1, max_length=64, description="The box's edge_id")


class BrokerCredentialsOut(BaseModel):
    username: str
    password: str = Field(description="Shown once: central keeps no copy")
    account_created: bool = Field(
        description="True: created on the broker now; false: add this user and password to"
        " the broker yourself (on gridwatch's dynsec broker: gridwatch broker add-edge)"
    )


class EdgeRegistered(BaseModel):
    edge_id: str
    broker: BrokerCredentialsOut
    bootstrap_yaml: str = Field(
        description="The edge's bootstrap file (save the password in the file it names)"
    )


class EdgeRegistry:
    def __init__(
        self,
        broker: BrokerConfig,
        *,
        broker_admin: BrokerConfig | None,
        url_policy: UrlPolicy,
        publish: Callable[[list[str]], None],
        clear: Callable[[str], None],
    ) -> None:
        self._clear = clear
        self._broker = broker
        self._admin = broker_admin
        self._plan = AccountPlan(broker.topics)
        self._url_policy = url_policy
        self._publish = publish

    def register(self, session: Session, body: EdgeIn, now: datetime) -> EdgeRegistered:
        edge_id = _edge_id(body.id)
        row = repo.get_edge(session, edge_id)
        if row is not None and row.registered:
            raise EdgeRegistryError(409, f"edge {edge_id} is registered already")
        credentials = self._credentials(edge_id)
        repo.register_edge(
            session,
            edge_id,
            name=body.name,
            grid_code=body.grid_code,
            broker_username=credentials.username,
            now=now,
        )
        # Its current cameras (perhaps none) as its first config: the box waits for it.
        repo.bump_revision(session, edge_id)
        session.commit()
        self._publish([edge_id])
        return EdgeRegistered(
            edge_id=edge_id,
            broker=credentials,
            bootstrap_yaml=self.bootstrap_yaml(edge_id, credentials.username),
        )

    def update(self, session: Session, edge_id: str, body: EdgeFields) -> bool:
        row = repo.get_edge(session, edge_id)
        if row is None or not row.registered:
            return False
        repo.rename_edge(session, row, name=body.name, grid_code=body.grid_code)
        session.commit()
        return True

    def unregister(self, session: Session, edge_id: str) -> bool:
        """Remove the record (and its broker account); refused while cameras point at it."""
        row = repo.get_edge(session, edge_id)
        if row is None or not row.registered:
            return False
        cameras = grid_repository.list_cameras(session, edge_id)
        if cameras:
            raise EdgeRegistryError(
                409, f"edge {edge_id} still has {len(cameras)} camera(s): move or delete them first"
            )
        if self._admin is not None:
            with DynsecControl(self._admin) as control:
                BrokerAccounts(control, self._plan).delete_edge(edge_id)
        repo.delete_edge(session, row)
        session.commit()
        self._clear(edge_id)
        return True

    def bootstrap_yaml(self, edge_id: str, username: str) -> str:
        broker: dict[str, object] = {
            "host": self._broker.host,
            "port": self._broker.port,
            "username": username,
            "password_file": "/etc/gridwatch/broker.password",
        }
        if self._broker.tls is not None:
            broker["tls"] = {"ca_file": "/etc/gridwatch/broker-ca.pem"}
        if self._broker.topic_prefix != "gridwatch":
            broker["topic_prefix"] = self._broker.topic_prefix
        document: dict[str, object] = {"edge_id": edge_id, "broker": broker}
        if self._url_policy.allow_cidrs:
            cidrs = [str(network) for network in self._url_policy.allow_cidrs]
            document["camera_url_policy"] = {"allow_cidrs": cidrs}
        header = (
            "# gridwatch edge bootstrap: start with `gridwatch edge run --config <this file>`;\n"
            "# the box runs no camera until central sends its config (docs/integrator.md).\n"
        )
        return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)

    def _credentials(self, edge_id: str) -> BrokerCredentialsOut:
        if self._admin is None:
            return BrokerCredentialsOut(
                username=self._plan.edge_username(edge_id),
                password=generate_password(),
                account_created=False,
            )
        try:
            with DynsecControl(self._admin) as control:
                created = BrokerAccounts(control, self._plan).create_edge(edge_id)
        except BrokerAccountError as error:
            raise EdgeRegistryError(
                502, f"the broker refused the edge's account: {error}"
            ) from None
        return BrokerCredentialsOut(
            username=created.username, password=created.password, account_created=True
        )


def _edge_id(value: str) -> str:
    try:
        return validate_id(value, "edge id")
    except ValueError as error:
        raise EdgeRegistryError(422, str(error)) from None
