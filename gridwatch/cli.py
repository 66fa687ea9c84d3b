"""The ``gridwatch`` command: one entry point with a subcommand per job.

Each subcommand lives in its own module under ``gridwatch.commands`` and is imported only when
it runs, so ``gridwatch central serve`` never loads OpenCV or onnxruntime and
``gridwatch edge run`` never loads FastAPI or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from gridwatch import __version__
from gridwatch_central.auth.scope import Role  # standard library only: keeps the CLI light

Handler = Callable[[argparse.Namespace], int]
PASSWORD_SOURCES = "password prompted, or --password-stdin, or GRIDWATCH_PASSWORD"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return _resolve(args.handler)(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridwatch", description=__doc__)
    parser.add_argument("--version", action="version", version=f"gridwatch {__version__}")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning"])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run broker, central and one edge on the sample clip")
    demo.add_argument("--seconds", type=float, help="stop by itself after this many seconds")
    demo.add_argument("--http-port", type=int, default=8000, help="central API port (default 8000)")
    demo.add_argument("--data-dir", type=Path, help="where the demo keeps its database")
    demo.add_argument(
        "--console",
        action="store_true",
        help="alerts wait for you in the web console (no auto-verify); prints its URL and login",
    )
    demo.set_defaults(handler="gridwatch.commands.demo:main")

    edge = commands.add_parser("edge", help="edge worker").add_subparsers(required=True)
    edge_run = edge.add_parser("run", help="run the cameras of one box")
    edge_run.add_argument("--config", type=Path, required=True, help="edge YAML file")
    edge_run.set_defaults(handler="gridwatch.commands.edge:run")
    edge_replay = edge.add_parser(
        "replay", help="run the file cameras to their end, print alerts as JSON lines"
    )
    edge_replay.add_argument("--config", type=Path, required=True, help="edge YAML file")
    edge_replay.add_argument("--start", type=float, default=0.0, help="media second to start at")
    edge_replay.add_argument("--end", type=float, help="media second to stop after")
    edge_replay.add_argument(
        "--camera", action="append", default=[], help="only this camera (repeatable)"
    )
    edge_replay.add_argument(
        "--rule", action="append", default=[], help="only this rule (repeatable)"
    )
    edge_replay.add_argument(
        "--snapshots", type=Path, help="write each alert's JPEG into this folder"
    )
    edge_replay.set_defaults(handler="gridwatch.commands.edge:replay_command")
    edge_draw = edge.add_parser(
        "draw", help="write a PNG of a camera's frame with its zones, lines and masks"
    )
    edge_draw.add_argument("--config", type=Path, required=True, help="edge YAML file")
    edge_draw.add_argument("--camera", help="camera id (default: the first)")
    edge_draw.add_argument("--at", type=float, default=0.0, help="media second of the frame")
    edge_draw.add_argument("--out", type=Path, help="PNG to write (default: CAMERA-setup.png)")
    edge_draw.set_defaults(handler="gridwatch.commands.edge:draw_command")

    central = commands.add_parser("central", help="central service").add_subparsers(required=True)
    serve = central.add_parser("serve", help="ingest alerts and serve the API")
    serve.add_argument("--config", type=Path, required=True, help="central YAML file")
    serve.set_defaults(handler="gridwatch.commands.central:serve_command")
    _add_central_admin_commands(central)

    models = commands.add_parser("models", help="list model manifests and check the weights")
    models.add_argument("--verify", action="store_true", help="also check sha256 of each file")
    models.set_defaults(handler="gridwatch.commands.models:main")

    broker = commands.add_parser("broker", help="broker configuration and accounts")
    _add_broker_commands(broker.add_subparsers(required=True, metavar="ACTION"))

    sensors = commands.add_parser("sensors", help="IoT sensors").add_subparsers(required=True)
    simulate = sensors.add_parser(
        "simulate", help="play sensor traces into a broker as a gateway would"
    )
    simulate.add_argument(
        "--broker", help="mqtt:// URL, credentials included (default $GRIDWATCH_BROKER_URL)"
    )
    simulate.add_argument("--topic-prefix", default="gridwatch", help="the deployment's prefix")
    simulate.add_argument("--gateway", default="gw-sim", help="the gateway id to publish as")
    simulate.add_argument(
        "--trace", action="append", default=[], help="trace to play (default: all); repeatable"
    )
    simulate.add_argument("--sensor-prefix", default="sim-", help="sensor ids: PREFIX + trace")
    simulate.add_argument(
        "--speed", type=float, default=0.0, help="0 as fast as possible, 1 real time, 10 faster"
    )
    simulate.add_argument("--lat", type=float, default=30.2290, help="where the sensors stand")
    simulate.add_argument("--lon", type=float, default=108.3985)
    simulate.add_argument(
        "--registry",
        action="store_true",
        help="print the sensors to import (POST /api/v1/sensors/import) instead of playing",
    )
    simulate.set_defaults(handler="gridwatch.commands.sensors:simulate_command")
    return parser


def _add_broker_commands(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = actions.add_parser(
        "init", help="write a broker config with accounts for admin, central (and edges)"
    )
    init.add_argument("--out", type=Path, required=True, help="folder for the broker's files")
    init.add_argument("--bind", help="plain listener address (default 0.0.0.0; with TLS 127.0.0.1)")
    init.add_argument("--port", type=int, default=1883, help="plain listener port (default 1883)")
    init.add_argument("--edge", action="append", default=[], help="also create this edge's account")
    init.add_argument("--central-user", default="central", help="central's account name")
    init.add_argument("--tls-cert", type=Path, help="server certificate: adds a TLS listener")
    init.add_argument("--tls-key", type=Path, help="server private key")
    init.add_argument("--tls-port", type=int, default=8883, help="TLS listener port (8883)")
    init.add_argument("--tls-client-ca", type=Path, help="require client certificates of this CA")
    init.add_argument(
        "--docker", action="store_true", help="paths of the eclipse-mosquitto image (compose)"
    )
    init.add_argument("--broker-dir", type=Path, help="where the broker sees --out (default: it)")
    init.add_argument("--plugin", type=Path, help="mosquitto_dynamic_security.so (found if unset)")
    init.add_argument("--data-dir", type=Path, help="persistence folder (default: none)")
    init.add_argument(
        "--max-payload-bytes", type=int, help="central's max_payload_bytes (default 6 MiB)"
    )
    init.add_argument("--topic-prefix", default="gridwatch", help="the deployment's topic prefix")
    init.add_argument("--force", action="store_true", help="replace existing accounts")
    init.set_defaults(handler="gridwatch.commands.broker:init_command")

    for name, help_text in (
        ("add-edge", "create an edge's account (prints its password)"),
        ("set-edge-password", "rotate an edge's password"),
        ("disable-edge", "lock an edge out (it is disconnected)"),
        ("enable-edge", "let a disabled edge connect again"),
        ("delete-edge", "delete an edge's account and role"),
        ("set-password", "rotate any account's password"),
        ("add-gateway", "create a sensor gateway's account (prints its password)"),
        ("set-gateway-password", "rotate a sensor gateway's password"),
        ("delete-gateway", "delete a sensor gateway's account and role"),
    ):
        action = actions.add_parser(name, help=help_text)
        subject = "GATEWAY_ID" if "gateway" in name else "EDGE_ID"
        subject = "USERNAME" if name == "set-password" else subject
        action.add_argument("subject", metavar=subject)
        _add_admin_connection(action)
        action.add_argument(
            "--password-out", type=Path, help="write a new password to this file too (0600)"
        )
        action.set_defaults(handler="gridwatch.commands.broker:account_command", action=name)


def _add_admin_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broker", help="mqtt:// or mqtts:// URL (default $GRIDWATCH_BROKER_URL or local 1883)"
    )
    parser.add_argument("--ca-file", type=Path, help="CA of the broker's TLS certificate")
    parser.add_argument("--admin-user", default="admin", help="the broker admin account")
    parser.add_argument(
        "--admin-password-file",
        type=Path,
        help="file holding the admin password (default $GRIDWATCH_BROKER_ADMIN_PASSWORD)",
    )
    parser.add_argument("--topic-prefix", default="gridwatch", help="the deployment's prefix")


def _add_central_admin_commands(
    central: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """What an admin does from a shell; each reads the same ``--config`` as ``serve``."""
    config_help = "central YAML file (the one 'serve' uses)"
    migrate = central.add_parser("migrate", help="bring the database to this version's schema")
    migrate.add_argument("--config", type=Path, required=True, help=config_help)
    migrate.set_defaults(handler="gridwatch.commands.central:migrate_command")

    create = central.add_parser("create-user", help=f"create a user ({PASSWORD_SOURCES})")
    create.add_argument("--config", type=Path, required=True, help=config_help)
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument(
        "--grid",
        action="append",
        metavar="PREFIX",
        help="grid code prefix the user sees (repeatable; 500240101 = one street)",
    )
    create.add_argument(
        "--department", action="append", metavar="CODE", help="department whose cases they see"
    )
    create.add_argument("--display-name", help="shown in timelines (default: the username)")
    _password_stdin(create)
    create.set_defaults(handler="gridwatch.commands.central:create_user_command")

    reset = central.add_parser("reset-password", help=f"set a password ({PASSWORD_SOURCES})")
    reset.add_argument("--config", type=Path, required=True, help=config_help)
    reset.add_argument("username")
    _password_stdin(reset)
    reset.set_defaults(handler="gridwatch.commands.central:reset_password_command")

    unlock = central.add_parser(
        "clear-lockout", help="end the login lockout of an account or a client address"
    )
    unlock.add_argument("--config", type=Path, required=True, help=config_help)
    unlock.add_argument("--username", help="the locked account")
    unlock.add_argument("--address", help="the locked client address")
    unlock.set_defaults(handler="gridwatch.commands.central:clear_lockout_command")

    grid = central.add_parser("import-grid", help="validate a grid GeoJSON and put it in force")
    grid.add_argument("--config", type=Path, required=True, help=config_help)
    grid.add_argument("file", type=Path, help="grid GeoJSON (WGS-84)")
    grid.set_defaults(handler="gridwatch.commands.central:import_grid_command")

    cameras = central.add_parser(
        "import-cameras", help="onboard cameras from a 雪亮 list (CSV or JSON)"
    )
    cameras.add_argument("--config", type=Path, required=True, help=config_help)
    cameras.add_argument("file", type=Path, help="CSV with a header row, or JSON (.json)")
    cameras.add_argument("--dry-run", action="store_true", help="report, change nothing")
    cameras.set_defaults(handler="gridwatch.commands.central:import_cameras_command")

    key = central.add_parser("camera-key", help="print a new key for camera URL encryption")
    key.set_defaults(handler="gridwatch.commands.central:camera_key_command")


def _password_stdin(parser: argparse.ArgumentParser) -> None:
    # Deliberately no --password option: arguments are visible to every user through ps.
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )


def _resolve(reference: str) -> Handler:
    """``module:function`` → the function, importing the module only now."""
    module_name, function_name = reference.split(":")
    return cast(Handler, getattr(importlib.import_module(module_name), function_name))
