"""Access tokens for people (JWT, HS256) and API keys for integrators' systems.

A JWT carries only who the user is (``sub``) and when it expires; role and scope are read from
the database on every request, so a change or a deactivation takes effect at once.

API keys look like ``gwk_<8-char id>_<secret>``. Only the id and the sha256 of the whole key
are stored: the key is shown once, at creation. sha256 (not Argon2) is right here because the
secret is 256 random bits, not a human password, and a request must not cost 50 ms of hashing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
API_KEY_PREFIX = "gwk"


class InvalidCredentialsError(ValueError):
    """A token or key that is malformed, expired, revoked or unknown."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenIssuer:
    def __init__(self, secret: str, ttl: timedelta) -> None:
        self._secret = secret
        self._ttl = ttl

    def issue(self, user_id: int, now: datetime | None = None) -> IssuedToken:
        issued_at = now or datetime.now(UTC)
        expires_at = issued_at + self._ttl
        claims = {"sub": str(user_id), "iat": issued_at, "exp": expires_at, "typ": "access"}
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires_at)

    def user_id(self, token: str) -> int:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "exp", "iat"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidCredentialsError(f"invalid token: {error}") from None
        if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
            raise InvalidCredentialsError("invalid token: not an access token")
        return int(claims["sub"])


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key_id: str
    secret: str  # the full key, shown once
    key_hash: str


def new_api_key() -> NewApiKey:
    key_id = secrets.token_hex(4)
    secret = f"{API_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key_id=key_id, secret=secret, key_hash=hash_api_key(secret))


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_id(secret: str) -> str:
    parts = secret.split("_", 2)  # the secret part may itself contain "_"
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 8:
        raise InvalidCredentialsError("invalid API key: not a gridwatch key")
    return parts[1]


def api_key_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(secret), stored_hash)
