"""Short-lived links to one clip's video, for ``<video src>``.

A browser's ``<video>`` element fetches its source (and every range of it while seeking)
without the page's ``Authorization`` header. So the clip's metadata, which the caller fetches
with their credentials and scope, carries a ``video_url`` with an ``access`` token: a JWT
(HS256, the API's signing key) naming that one clip, valid for ``ttl``. It opens that clip's
video and nothing else, and only until it expires.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt

ALGORITHM = "HS256"
TOKEN_TYPE = "clip"


class ClipAccess:
    def __init__(self, secret: str, ttl: timedelta) -> None:
        self._secret = secret
        self._ttl = ttl

    def issue(self, clip_id: uuid.UUID, now: datetime) -> str:
        claims = {"sub": str(clip_id), "typ": TOKEN_TYPE, "iat": now, "exp": now + self._ttl}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def allows(self, token: str, clip_id: uuid.UUID) -> bool:
        """True when ``token`` is a current link to exactly ``clip_id``."""
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
            )
        except jwt.PyJWTError:
            return False
        return claims.get("typ") == TOKEN_TYPE and claims["sub"] == str(clip_id)
