"""Image identities: the sha256 hex digest of the bytes."""

from __future__ import annotations

import re

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(text: str) -> bool:
    return _SHA256_HEX.match(text) is not None


def check_sha256(text: str) -> str:
    """``text`` if it is a sha256 hex digest; raises ValueError before it can reach a path."""
    if not is_sha256(text):
        raise ValueError(f"not a sha256 hex digest: {text!r}")
    return text
