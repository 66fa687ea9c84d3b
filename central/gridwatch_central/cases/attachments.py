"""Photos attached to case actions (反馈 with a photo of the result, 核查 evidence).

A photo is stored like a snapshot, by the sha256 of its bytes, and the action's timeline entry
lists that hash in ``attachments``; it is read back only through a case the caller can see
whose timeline names it, so a hash alone opens nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cases.errors import InvalidRequestError
from gridwatch_central.db import case_repository
from gridwatch_central.snapshots import SnapshotStore
from gridwatch_central.snapshots.names import is_sha256

# What a phone or a camera app saves; both are shown by every browser as they are.
_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def photo_type(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the file's own first bytes, else None."""
    return next((kind for magic, kind in _SIGNATURES.items() if data.startswith(magic)), None)


def store_photo(store: SnapshotStore, data: bytes, *, max_bytes: int, now: datetime) -> str:
    """Store an uploaded photo; its sha256, to list in an action's ``attachments``."""
    if not data:
        raise InvalidRequestError("the photo is empty")
    if len(data) > max_bytes:
        raise InvalidRequestError(f"the photo is larger than {max_bytes} bytes")
    if photo_type(data) is None:
        raise InvalidRequestError("the photo must be a JPEG or PNG file")
    return store.put(data, now)


def read_attachment(
    session: Session, store: SnapshotStore, case_id: int, sha256: str, scope: Scope | None
) -> bytes | None:
    """A photo attached to a case in ``scope``; None if the case or the attachment is not."""
    if not is_sha256(sha256) or case_repository.get_case(session, case_id, scope) is None:
        return None
    attached = {
        name
        for entry in case_repository.timeline(session, case_id)
        for name in entry.attachments or ()
    }
    return store.read(sha256) if sha256 in attached else None
