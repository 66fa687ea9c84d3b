"""Snapshot images on disk, addressed by the sha256 of their content.

Content addressing makes a redelivered alert write nothing new and lets identical frames share
one file. ``ab/cd/abcd…`` sharding keeps directories small (65 536 leaves hold millions).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_HASH = re.compile(r"^[0-9a-f]{64}$")


class SnapshotStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def path_for(self, content_hash: str) -> Path:
        if not _HASH.match(content_hash):
            raise ValueError(f"not a sha256 hex digest: {content_hash!r}")
        return self._root / content_hash[:2] / content_hash[2:4] / content_hash

    def save(self, data: bytes) -> str:
        """Store ``data`` (if not already there) and return its sha256 hex digest."""
        content_hash = hashlib.sha256(data).hexdigest()
        target = self.path_for(content_hash)
        if target.exists():
            return content_hash
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target then rename: a reader never sees a half-written file, and a
        # crash leaves only a stray temp file, never a wrong image under a valid hash.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return content_hash

    def read(self, content_hash: str) -> bytes | None:
        """The stored bytes, or None if there is no such snapshot."""
        try:
            return self.path_for(content_hash).read_bytes()
        except FileNotFoundError:
            return None
