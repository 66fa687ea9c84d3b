"""``gridwatch broker init``: a ready broker configuration with its first accounts.

Writes into one folder: ``mosquitto.conf``, the dynamic security plugin's ``dynsec.json``
(roles, and the accounts with hashed passwords) and ``secrets/<username>.password`` (mode 0600)
for the generated passwords, which are returned as well so that the caller can print them.
Accounts added later go through the running broker (``BrokerAccounts``), not through files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gridwatch_central.broker_accounts.credentials import (
    Credentials,
    generate_password,
    hashed_client,
)
from gridwatch_central.broker_accounts.mosquitto_conf import (
    DYNSEC_FILE,
    BrokerLayout,
    render_mosquitto_conf,
)
from gridwatch_central.broker_accounts.roles import (
    DEFAULT_ACL_ACCESS,
    DEFAULT_ADMIN_USERNAME,
    AccountPlan,
    Role,
    admin_role,
)

CONF_FILE = "mosquitto.conf"
SECRETS_DIR = "secrets"
# Only the owner (the broker's user, an operator) may read what holds passwords or hashes.
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class BrokerInitError(RuntimeError):
    """The folder already holds a broker's accounts; overwriting them would lock clients out."""


@dataclass(frozen=True, slots=True)
class BrokerInit:
    plan: AccountPlan
    layout: BrokerLayout
    edge_ids: Sequence[str] = ()
    admin_username: str = DEFAULT_ADMIN_USERNAME


@dataclass(frozen=True, slots=True)
class InitResult:
    conf_file: Path
    admin: Credentials
    central: Credentials
    edges: dict[str, Credentials] = field(default_factory=dict)

    def password_file(self, credentials: Credentials) -> Path:
        return self.conf_file.parent / SECRETS_DIR / f"{credentials.username}.password"


def init_broker(out_dir: Path, request: BrokerInit, *, overwrite: bool = False) -> InitResult:
    """Write the broker's files into ``out_dir``; ``BrokerInitError`` if accounts exist there."""
    dynsec_path = out_dir / DYNSEC_FILE
    if dynsec_path.exists() and not overwrite:
        raise BrokerInitError(
            f"{dynsec_path} already exists: it holds the broker's accounts. Add accounts with"
            " 'gridwatch broker add-edge', or pass --force to start over (every client then"
            " needs its new password)."
        )
    plan = request.plan
    admin = Credentials(request.admin_username, generate_password())
    central = Credentials(plan.central_username, generate_password())
    edges = {
        edge_id: Credentials(plan.edge_username(edge_id), generate_password())
        for edge_id in request.edge_ids
    }
    accounts: list[tuple[Credentials, Role]] = [
        (admin, admin_role()),
        (central, plan.central_role()),
        *((edges[edge_id], plan.edge_role(edge_id)) for edge_id in request.edge_ids),
    ]
    document = {
        "defaultACLAccess": DEFAULT_ACL_ACCESS,
        "clients": [hashed_client(account, [role.name]) for account, role in accounts],
        "roles": [role.document() for _, role in accounts],
        "groups": [],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    write_private_file(dynsec_path, json.dumps(document, indent=2) + "\n")
    conf_file = out_dir / CONF_FILE
    conf_file.write_text(render_mosquitto_conf(request.layout), encoding="utf-8")
    result = InitResult(conf_file, admin, central, edges)
    secrets_dir = out_dir / SECRETS_DIR
    secrets_dir.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    for account, _ in accounts:
        write_private_file(result.password_file(account), account.password + "\n")
    return result


def write_private_file(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, before any secret is written into it."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
