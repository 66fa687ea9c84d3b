"""Broker account credentials: generated, handed out once, stored by the broker only hashed."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

# 24 random bytes = 32 URL-safe characters, 192 bits: beyond any guessing, and free of the
# characters (':', '@', '/') that would need escaping in an mqtt:// URL.
PASSWORD_BYTES = 24
# Mosquitto's dynamic-security plugin stores PBKDF2-HMAC-SHA512 over a 12-byte salt, with the
# iteration count it uses itself in 2.0.11 (passwords set later through the control API get
# the same). Our passwords are 192-bit random tokens, so the count is not what protects them.
SALT_BYTES = 12
PBKDF2_ITERATIONS = 101


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str = field(repr=False)


def generate_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def hashed_client(credentials: Credentials, role_names: list[str]) -> dict[str, object]:
    """A client entry of the plugin's JSON file, with the password hashed as it hashes it."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac(
        "sha512", credentials.password.encode("utf-8"), salt, PBKDF2_ITERATIONS
    )
    return {
        "username": credentials.username,
        "password": base64.b64encode(digest).decode("ascii"),
        "salt": base64.b64encode(salt).decode("ascii"),
        "iterations": PBKDF2_ITERATIONS,
        "roles": [{"rolename": name} for name in role_names],
    }
