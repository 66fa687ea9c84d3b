"""``gridwatch broker ...``: a secured broker's files, and its accounts at run time.

``init`` writes offline (no broker needed); every other action connects to the running
broker with the admin account and changes it at once, without a restart.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from gridwatch_central.broker_accounts import (
    AccountPlan,
    BrokerAccountError,
    BrokerAccounts,
    BrokerInit,
    BrokerInitError,
    BrokerLayout,
    Credentials,
    DynsecControl,
    InitResult,
    TlsListener,
    broker_packet_limit,
    find_dynsec_plugin,
    init_broker,
)
from gridwatch_central.broker_accounts.bootstrap import write_private_file
from gridwatch_contract.broker import BrokerConfig, BrokerConfigError
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES
from gridwatch_contract.topics import Topics

ADMIN_PASSWORD_ENV = "GRIDWATCH_BROKER_ADMIN_PASSWORD"
BROKER_URL_ENV = "GRIDWATCH_BROKER_URL"
DEFAULT_BROKER_URL = "mqtt://127.0.0.1:1883"
# Where the eclipse-mosquitto image (docker/compose.yaml) sees the files and keeps its data.
DOCKER_BROKER_DIR = Path("/mosquitto/security")
DOCKER_PLUGIN = Path("/usr/lib/mosquitto_dynamic_security.so")
DOCKER_DATA_DIR = Path("/mosquitto/data")


def init_command(args: argparse.Namespace) -> int:
    try:
        layout = _layout(args)
        request = BrokerInit(
            AccountPlan(Topics(args.topic_prefix), central_username=args.central_user),
            layout,
            edge_ids=args.edge,
        )
        result = init_broker(args.out, request, overwrite=args.force)
    except (BrokerInitError, ValueError, OSError) as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
    _print_init(result, layout)
    if not args.docker and not layout.plugin.exists():
        print(
            f"warning: {layout.plugin} is not on this machine; if the broker runs elsewhere,"
            " pass --plugin with the plugin's path there.",
            file=sys.stderr,
        )
    return 0


def _layout(args: argparse.Namespace) -> BrokerLayout:
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    docker = args.docker
    tls = None
    if args.tls_cert is not None:
        tls = TlsListener(
            cert_file=_broker_path(args.tls_cert, docker),
            key_file=_broker_path(args.tls_key, docker),
            port=args.tls_port,
            client_ca_file=_broker_path(args.tls_client_ca, docker) if args.tls_client_ca else None,
        )
    # With TLS for the outside world, the plain listener serves only this machine.
    bind = args.bind or ("127.0.0.1" if tls is not None else "0.0.0.0")
    default_dir = DOCKER_BROKER_DIR if docker else args.out.resolve()
    data_dir = args.data_dir or (DOCKER_DATA_DIR if docker else None)
    return BrokerLayout(
        security_dir=args.broker_dir or default_dir,
        plugin=args.plugin or (DOCKER_PLUGIN if docker else find_dynsec_plugin()),
        data_dir=data_dir,
        bind=bind,
        port=args.port,
        tls=tls,
        max_packet_bytes=broker_packet_limit(args.max_payload_bytes or DEFAULT_MAX_PAYLOAD_BYTES),
    )


def _broker_path(path: Path, docker: bool) -> Path:
    """Container paths are written as given; local ones made absolute for the broker."""
    return path if docker else path.resolve()


def _print_init(result: InitResult, layout: BrokerLayout) -> None:
    folder = result.conf_file.parent
    print(f"broker files written to {folder}:")
    print(f"  {result.conf_file}  (run: mosquitto -c {result.conf_file})")
    print(f"  {folder / 'dynsec.json'}  (accounts and roles; the broker keeps it up to date)")
    print(f"  {folder / 'secrets'}/  (the passwords below, one file each, mode 0600)")
    if layout.tls is None and layout.bind not in {"127.0.0.1", "localhost"}:
        print(
            "warning: the listener is plain MQTT on all interfaces; passwords cross the network"
            " in clear. Add --tls-cert/--tls-key for edges on other networks.",
            file=sys.stderr,
        )
    print("accounts (username  password):")
    _print_account(result.admin, "manages accounts: gridwatch broker add-edge ...")
    _print_account(result.central, "central's broker.username / broker.password_file")
    for edge_id, credentials in result.edges.items():
        _print_account(credentials, f"edge {edge_id}")


def _print_account(credentials: Credentials, note: str) -> None:
    print(f"  {credentials.username}  {credentials.password}  ({note})")


# What each account action does; those that set a password return the new credentials.
ACCOUNT_ACTIONS: dict[str, Callable[[BrokerAccounts, str], Credentials | None]] = {
    "add-edge": BrokerAccounts.create_edge,
    "set-edge-password": BrokerAccounts.set_edge_password,
    "set-password": BrokerAccounts.set_password,
    "disable-edge": BrokerAccounts.disable_edge,
    "enable-edge": BrokerAccounts.enable_edge,
    "delete-edge": BrokerAccounts.delete_edge,
    "add-gateway": BrokerAccounts.create_gateway,
    "set-gateway-password": BrokerAccounts.set_gateway_password,
    "delete-gateway": BrokerAccounts.delete_gateway,
}


def account_command(args: argparse.Namespace) -> int:
    """``gridwatch broker <action> <subject>`` on the running broker, as its admin."""
    action = ACCOUNT_ACTIONS[args.action]
    try:
        admin = _admin_config(args)
        with DynsecControl(admin) as control:
            credentials = action(BrokerAccounts(control, AccountPlan(admin.topics)), args.subject)
        if credentials is not None and args.password_out is not None:
            write_private_file(args.password_out, credentials.password + "\n")
    except (BrokerAccountError, BrokerConfigError, ValueError, OSError) as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
    if credentials is not None:
        print(f"username: {credentials.username}")
        print(f"password: {credentials.password}")
    else:
        print(f"done: {args.action} {args.subject}")
    return 0


def _admin_config(args: argparse.Namespace) -> BrokerConfig:
    """The admin account: user and password in the URL, or --admin-user with the password
    from --admin-password-file or the environment (never a command-line argument, which
    other users of the machine can read in the process list)."""
    url = args.broker or os.environ.get(BROKER_URL_ENV, DEFAULT_BROKER_URL)
    location = BrokerConfig.from_url(url, topic_prefix=args.topic_prefix, ca_file=args.ca_file)
    if location.username is not None:
        return location
    if args.admin_password_file is None and not os.environ.get(ADMIN_PASSWORD_ENV):
        raise ValueError(f"give --admin-password-file or set {ADMIN_PASSWORD_ENV}")
    return BrokerConfig(
        host=location.host,
        port=location.port,
        tls=location.tls,
        topic_prefix=location.topic_prefix,
        username=args.admin_user,
        password_file=args.admin_password_file,
        password_env=None if args.admin_password_file else ADMIN_PASSWORD_ENV,
    )
