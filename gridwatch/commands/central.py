"""``gridwatch central …``: serve, and what an admin does from a shell (migrate, create a user,
reset a password, import a grid). Never imports OpenCV or onnxruntime.

Exit status: 0 done, 1 the task failed (the message says why), 2 the configuration or the
command line is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from gridwatch.password_input import PasswordInputError, read_new_password
from gridwatch_central.auth.models import UserOut
from gridwatch_central.auth.scope import Role
from gridwatch_central.cameras.vault import new_key
from gridwatch_central.config import CentralConfig, ConfigError, load_central_config
from gridwatch_central.grid import GridError
from gridwatch_central.maintenance import (
    MaintenanceError,
    NewUser,
    clear_login_lockout,
    create_user,
    import_camera_list,
    import_grid,
    migrate,
    require_current_schema,
    reset_password,
)
from gridwatch_central.runtime import serve
from gridwatch_contract.broker import BrokerConfigError

FAILED = 1
BAD_USAGE = 2


def serve_command(args: argparse.Namespace) -> int:
    try:
        serve(load_central_config(args.config), config_path=args.config)
    except (ConfigError, GridError, BrokerConfigError) as error:
        return _fail(error, BAD_USAGE)
    return 0


def serve_argv(config: Path) -> list[str]:
    """The command line that runs ``gridwatch central serve`` with this Python, for tools and
    tests that start central as a process of its own."""
    return [sys.executable, "-m", "gridwatch", "central", "serve", "--config", str(config)]


def migrate_command(args: argparse.Namespace) -> int:
    return _run(args, _print_migration, needs_schema=False)


def create_user_command(args: argparse.Namespace) -> int:
    def task(config: CentralConfig) -> None:
        user = NewUser(
            username=args.username,
            password=read_new_password(from_stdin=args.password_stdin),
            role=Role(args.role),
            grid_prefixes=args.grid or [],
            departments=args.department or [],
            display_name=args.display_name or "",
        )
        print(f"created {_describe(create_user(config, user))}")

    return _run(args, task)


def reset_password_command(args: argparse.Namespace) -> int:
    def task(config: CentralConfig) -> None:
        password = read_new_password(from_stdin=args.password_stdin)
        user = reset_password(config, args.username, password)
        state = "" if user.active else " (the user is disabled: enable them to log in)"
        print(f"password of {user.username} reset{state}")

    return _run(args, task)


def clear_lockout_command(args: argparse.Namespace) -> int:
    def task(config: CentralConfig) -> None:
        cleared = clear_login_lockout(config, args.username, args.address)
        print(f"login lockout cleared ({cleared} record(s) of failed logins forgotten)")

    return _run(args, task)


def import_grid_command(args: argparse.Namespace) -> int:
    def task(config: CentralConfig) -> None:
        result = import_grid(config, args.file)
        report = result.report
        counts = ", ".join(f"level {lvl}: {n}" for lvl, n in sorted(report.cells_by_level.items()))
        if result.version is None:
            listing = "\n".join(f"  - {message}" for message in report.messages())
            raise MaintenanceError(
                f"{args.file}: {len(report.problems)} grid problem(s), nothing imported:\n{listing}"
            )
        print(f"grid version {result.version} in force ({counts}); sha256 {result.sha256}")
        print("running central processes switch to it within geography_refresh_s")

    return _run(args, task)


def import_cameras_command(args: argparse.Namespace) -> int:
    def task(config: CentralConfig) -> None:
        report = import_camera_list(config, args.file, dry_run=args.dry_run)
        for item in report.items:
            if item.action == "error":
                print(f"row {item.row} ({item.camera_id or '?'}): {item.error}")
            elif item.action == "update":
                print(f"row {item.row} ({item.camera_id}): update {', '.join(item.changes)}")
        verdict = "applied" if report.applied else "nothing changed"
        print(
            f"{report.created} to create, {report.updated} to update, {report.unchanged}"
            f" unchanged, {report.errors} with errors: {verdict}"
        )
        if report.errors:
            raise MaintenanceError(f"{report.errors} row(s) with errors")

    return _run(args, task)


def camera_key_command(_args: argparse.Namespace) -> int:
    """A new Fernet key: put it in onboarding.key_file or $GRIDWATCH_CAMERA_KEY."""
    print(new_key())
    return 0


def _print_migration(config: CentralConfig) -> None:
    result = migrate(config)
    if result.changed:
        print(f"database migrated from {result.before or 'empty'} to {result.after}")
    else:
        print(f"database already at {result.after}; nothing to do")


def _run(
    args: argparse.Namespace, task: Callable[[CentralConfig], None], *, needs_schema: bool = True
) -> int:
    try:
        config = load_central_config(args.config)
    except ConfigError as error:
        return _fail(error, BAD_USAGE)
    try:
        if needs_schema:  # before any prompt: an admin must not type a password in vain
            require_current_schema(config)
        task(config)
    except PasswordInputError as error:
        return _fail(error, BAD_USAGE)
    except (MaintenanceError, GridError) as error:
        return _fail(error, FAILED)
    return 0


def _describe(user: UserOut) -> str:
    grids = ", ".join(user.grid_prefixes) or "none"
    departments = ", ".join(user.departments) or "none"
    scope = "everything" if user.role is Role.ADMIN else f"grids {grids}; departments {departments}"
    return f"user {user.username} (id {user.id}, role {user.role.value}, sees {scope})"


def _fail(error: Exception, status: int) -> int:
    print(f"gridwatch: {error}", file=sys.stderr)
    return status
