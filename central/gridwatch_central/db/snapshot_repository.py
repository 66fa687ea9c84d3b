"""SQL of the snapshot index (``snapshot_index``): where each image's bytes are."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gridwatch_central.db.dialect import dialect_insert
from gridwatch_central.db.tables import SnapshotIndexRow


def insert_index_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Index images; an image indexed already is re-pointed at the copy just written.

    The newest copy, not the first: retention deletes packs by age, so a row left pointing at
    the first copy would lose an image that arrived again (and is referenced again) once that
    first pack expires, although its bytes sit in a younger pack.

    The caller sorts rows by sha256: two central processes indexing overlapping batches then
    wait on each other's rows in the same order and cannot deadlock.
    """
    if rows:
        statement = dialect_insert(session, SnapshotIndexRow)
        newest = {
            column: statement.excluded[column]
            for column in ("pack", "offset", "length", "stored_at")
        }
        session.execute(
            statement.on_conflict_do_update(index_elements=["sha256"], set_=newest), list(rows)
        )


def find(session: Session, sha256: str) -> SnapshotIndexRow | None:
    return session.get(SnapshotIndexRow, sha256)


def hashes_by_pack(session: Session, packs: Collection[str]) -> dict[str, set[str]]:
    """The images indexed in each of ``packs`` (a pack without rows is absent)."""
    contents: dict[str, set[str]] = {}
    if not packs:
        return contents
    query = select(SnapshotIndexRow.pack, SnapshotIndexRow.sha256).where(
        SnapshotIndexRow.pack.in_(list(packs))
    )
    for pack, sha256 in session.execute(query):
        contents.setdefault(pack, set()).add(sha256)
    return contents


def delete_packs(session: Session, packs: Collection[str]) -> None:
    """Forget every image of ``packs`` (before the pack files are deleted)."""
    if packs:
        session.execute(delete(SnapshotIndexRow).where(SnapshotIndexRow.pack.in_(list(packs))))
