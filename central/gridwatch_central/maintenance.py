"""What an admin does to central from a shell: migrate, create users, reset passwords, clear a
login lockout, import a grid. ``gridwatch central …`` calls these; they need the database only,
never the broker.

Every task but ``migrate`` refuses a database that is not at the newest schema, naming the
command that fixes it, rather than migrating behind the admin's back.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.models import UserIn, UserOut
from gridwatch_central.auth.passwords import MIN_PASSWORD_LENGTH, Passwords
from gridwatch_central.auth.scope import Role, Scope
from gridwatch_central.auth.service import AuthService, ConflictError
from gridwatch_central.auth.throttle import LoginThrottle
from gridwatch_central.auth.tokens import TokenIssuer
from gridwatch_central.cameras.directory import CameraDirectory
from gridwatch_central.cameras.importing import (
    CameraImporter,
    ImportFormatError,
    ImportReport,
    parse_rows,
)
from gridwatch_central.cameras.service import CameraService
from gridwatch_central.cameras.vault import CameraKeyError, UrlVault
from gridwatch_central.config import CentralConfig
from gridwatch_central.db import auth_repository
from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.migrate import (
    MigrationResult,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from gridwatch_central.grid.loader import read_grid_document
from gridwatch_central.grid.store import GridImportResult, GridStore

# The shell never issues tokens; AuthService wants an issuer all the same.
_UNUSED_TOKEN_TTL = timedelta(minutes=1)


class MaintenanceError(RuntimeError):
    """A task that cannot be done; the message says why and what to run instead."""


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    password: SecretStr
    role: Role
    grid_prefixes: list[str]
    departments: list[str]
    display_name: str = ""


def migrate(config: CentralConfig) -> MigrationResult:
    return upgrade_to_head(config.database_url)


def count_active_admins(config: CentralConfig) -> int:
    with _sessions(config) as sessions, sessions() as session:
        return auth_repository.count_admins(session, Role.ADMIN.value)


def create_user(config: CentralConfig, user: NewUser) -> UserOut:
    _check_length(user.password)
    try:
        spec = UserIn(
            username=user.username,
            password=user.password,
            role=user.role,
            grid_prefixes=user.grid_prefixes,
            departments=user.departments,
            display_name=user.display_name,
        )
    except ValidationError as error:
        raise MaintenanceError(_validation_message(error)) from None
    with _sessions(config) as sessions:
        try:
            return _auth(sessions).create_user(spec)
        except ConflictError as error:
            raise MaintenanceError(str(error)) from None


def reset_password(config: CentralConfig, username: str, password: SecretStr) -> UserOut:
    """Set ``username``'s password; the user's sessions end when their tokens expire.

    Only the hash changes: unlike the API's user update this works when no admin exists yet,
    which is exactly when an admin locked out of the console needs it.
    """
    _check_length(password)
    password_hash = Passwords().hash(password.get_secret_value())
    with _sessions(config) as sessions, sessions.begin() as session:
        row = auth_repository.user_by_name(session, username)
        if row is None:
            raise MaintenanceError(f"no user named {username!r}")
        row.password_hash = password_hash
        return UserOut.model_validate(row)


def clear_login_lockout(config: CentralConfig, username: str | None, address: str | None) -> int:
    """End the login lockout of an account, a client address or both, as the API's admin
    route does (logged); works when no admin can log in, which is when it is needed."""
    if username is None and address is None:
        raise MaintenanceError("name a --username, an --address or both")
    with _sessions(config) as sessions:
        throttle = LoginThrottle(sessions, config.auth.login_throttle)
        return throttle.clear(username, address, by="shell")


def import_grid(config: CentralConfig, path: Path) -> GridImportResult:
    """Validate ``path`` and, if it has no problem, make it the grid in force everywhere.

    Running central processes pick it up within ``geography_refresh_s``. Raises ``GridError``
    for an unreadable file; a grid with problems comes back with ``version`` None.
    """
    document, _raw = read_grid_document(path)
    with _sessions(config) as sessions:
        store = GridStore(sessions, config.grid_code_scheme, refresh_s=config.geography_refresh_s)
        return store.import_document(document, source=f"file:{path.resolve()}")


def import_camera_list(config: CentralConfig, path: Path, *, dry_run: bool) -> ImportReport:
    """Bulk onboarding from a shell (``cameras.importing``). The registered edges' configs are
    marked for publishing; a running central publishes them within republish_interval_s."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise MaintenanceError(f"cannot read {path}: {error.strerror}") from None
    content_type = "application/json" if path.suffix.lower() == ".json" else "text/csv"
    try:
        rows = parse_rows(content, content_type)
        with _sessions(config) as sessions:
            service = CameraService(
                CameraDirectory(sessions, refresh_s=config.geography_refresh_s),
                vault=UrlVault.from_config(config.onboarding.key_file),
                url_policy=config.onboarding.url_policy,
            )
            with sessions() as session:
                grid = GridStore(sessions, config.grid_code_scheme, refresh_s=3600.0)
                importer = CameraImporter(service, grid.index, Scope.everything())
                return importer.run(session, rows, dry_run=dry_run)
    except (ImportFormatError, CameraKeyError) as error:
        raise MaintenanceError(f"{path}: {error}") from None


@contextmanager
def _sessions(config: CentralConfig) -> Iterator[sessionmaker[Session]]:
    require_current_schema(config)
    engine = make_engine(config.database_url)
    try:
        yield make_sessions(engine)
    finally:
        engine.dispose()


def require_current_schema(config: CentralConfig) -> None:
    """Raise ``MaintenanceError`` unless the database is at this version's schema."""
    current, head = current_revision(config.database_url), head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise MaintenanceError(
            f"the database is {state}, not at this version's schema ({head}); run"
            " 'gridwatch central migrate --config <file>' first"
        )


def _auth(sessions: sessionmaker[Session]) -> AuthService:
    issuer = TokenIssuer(secrets.token_urlsafe(32), _UNUSED_TOKEN_TTL)
    return AuthService(sessions, issuer, Passwords())


def _check_length(password: SecretStr) -> None:
    """Said plainly here: pydantic would speak of "items" and the API's limits."""
    if len(password.get_secret_value()) < MIN_PASSWORD_LENGTH:
        raise MaintenanceError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _validation_message(error: ValidationError) -> str:
    """pydantic's errors as one line each, never echoing the input (it may be a password)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'value'}: {problem['msg']}"
        for problem in error.errors()
    )
