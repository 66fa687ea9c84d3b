"""Password hashing with Argon2id (argon2-cffi's maintained defaults, RFC 9106 low-memory)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Shortest password accepted: NIST SP 800-63B's minimum for user-chosen secrets.
MIN_PASSWORD_LENGTH = 8


class Passwords:
    def __init__(self) -> None:
        self._hasher = PasswordHasher()
        # Verifying against this when the user does not exist takes as long as a real check,
        # so response time does not tell an attacker which usernames exist.
        self._dummy = self._hasher.hash("not-a-real-password")

    def hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False
