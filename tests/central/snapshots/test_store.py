"""The snapshot store on a real database (SQLite and PostgreSQL): index, read, retention."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import snapshot_repository
from gridwatch_central.db.engine import run_in_transaction
from gridwatch_central.db.tables import SnapshotIndexRow
from gridwatch_central.snapshots import SnapshotStore, StoredSnapshot
from tests.central.helpers import TINY_JPEG

DAY = 86400.0


def _index_row(stored: StoredSnapshot) -> dict[str, Any]:
    return {
        "sha256": stored.sha256,
        "pack": stored.pack,
        "offset": stored.offset,
        "length": stored.length,
        "stored_at": datetime.now(UTC),
    }


def _index(sessions: sessionmaker[Session], stored: Sequence[StoredSnapshot]) -> None:
    """What ingest does in the transaction of the alerts that refer to the images."""
    rows = [_index_row(s) for s in sorted(stored, key=lambda s: s.sha256)]
    with sessions.begin() as session:
        snapshot_repository.insert_index_rows(session, rows)


def _store(
    root: Path, sessions: sessionmaker[Session], max_pack_bytes: int = 1 << 20
) -> SnapshotStore:
    return SnapshotStore(root, sessions, max_pack_bytes=max_pack_bytes)


@pytest.fixture
def store(tmp_path: Path, sessions: sessionmaker[Session]) -> Iterator[SnapshotStore]:
    snapshots = _store(tmp_path, sessions)
    try:
        yield snapshots
    finally:
        snapshots.close()


def test_a_written_synced_and_indexed_image_reads_back(
    store: SnapshotStore, sessions: sessionmaker[Session]
) -> None:
    stored = [store.write(TINY_JPEG), store.write(TINY_JPEG + b"second")]
    store.sync()
    _index(sessions, stored)
    assert stored[0].sha256 == hashlib.sha256(TINY_JPEG).hexdigest()
    assert stored[0].pack == stored[1].pack
    assert store.read(stored[0].sha256) == TINY_JPEG
    assert store.read(stored[1].sha256) == TINY_JPEG + b"second"
    assert store.read("0" * 64) is None


def test_an_image_written_again_is_read_from_its_newest_copy(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    store = _store(tmp_path, sessions, max_pack_bytes=1)  # one image per pack
    first = store.write(TINY_JPEG)
    _index(sessions, [first])
    again = store.write(TINY_JPEG)  # the same frame again (or a redelivery)
    store.sync()
    _index(sessions, [again])
    with sessions() as session:
        row = snapshot_repository.find(session, first.sha256)
        assert row is not None
        assert (row.pack, row.offset) == (again.pack, again.offset)
    assert again.pack != first.pack
    # The first copy's pack expires; the image, referenced again since, must survive it.
    store.close()
    os.utime(tmp_path / "packs" / again.pack, (time.time() + 9 * DAY,) * 2)
    report = store.prune(7 * DAY, keep=set(), now=time.time() + 8 * DAY)
    assert report.deleted_packs == 1
    assert not (tmp_path / "packs" / first.pack).exists()
    assert store.read(first.sha256) == TINY_JPEG


def test_a_rolled_back_batch_leaves_bytes_but_no_index_row(
    store: SnapshotStore, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    stored = store.write(TINY_JPEG)
    store.sync()

    def index_then_fail(session: Session) -> None:
        snapshot_repository.insert_index_rows(session, [_index_row(stored)])
        raise RuntimeError("the alerts' transaction failed")

    with pytest.raises(RuntimeError, match="transaction failed"):
        run_in_transaction(sessions, index_then_fail)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SnapshotIndexRow)) == 0
    assert store.read(stored.sha256) is None
    assert (tmp_path / "packs" / stored.pack).read_bytes() == TINY_JPEG


def test_two_processes_sharing_a_directory_write_separate_packs(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    one, other = _store(tmp_path, sessions), _store(tmp_path, sessions)
    mine, theirs = one.write(TINY_JPEG + b"one"), other.write(TINY_JPEG + b"other")
    one.sync()
    other.sync()
    _index(sessions, [mine, theirs])
    assert mine.pack != theirs.pack
    assert one.read(theirs.sha256) == TINY_JPEG + b"other"
    assert other.read(mine.sha256) == TINY_JPEG + b"one"
    one.close()
    other.close()


def test_bytes_that_do_not_match_their_hash_are_not_served(
    store: SnapshotStore, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    stored = store.write(TINY_JPEG)
    store.sync()
    _index(sessions, [stored])
    store.close()
    pack = tmp_path / "packs" / stored.pack
    pack.write_bytes(b"X" * stored.length)  # damaged on disk
    assert store.read(stored.sha256) is None
    pack.unlink()
    assert store.read(stored.sha256) is None


def test_hash_is_checked_before_touching_the_disk(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(ValueError, match="not a sha256"):
        _store(tmp_path, sessions).read("../../etc/passwd")


def test_prune_deletes_old_unreferenced_packs_and_keeps_referenced_ones(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    store = _store(tmp_path, sessions, max_pack_bytes=1)  # one image per pack
    free = store.write(TINY_JPEG + b"free")
    evidence = store.write(TINY_JPEG + b"evidence")
    unindexed = store.write(TINY_JPEG + b"rolled back")
    being_written = store.write(TINY_JPEG + b"current")
    store.sync()
    _index(sessions, [free, evidence, being_written])

    report = store.prune(7 * DAY, keep={evidence.sha256}, now=time.time() + 10 * DAY)

    assert (report.deleted_packs, report.deleted) == (2, 1)  # free's pack, the unindexed one
    assert (report.kept_packs, report.kept_referenced) == (1, 1)
    assert report.freed_bytes == free.length + unindexed.length
    packs = {p.name for p in (tmp_path / "packs").iterdir()}
    assert packs == {evidence.pack, being_written.pack}
    assert store.read(free.sha256) is None
    with sessions() as session:
        assert snapshot_repository.find(session, free.sha256) is None
    assert store.read(evidence.sha256) == TINY_JPEG + b"evidence"
    assert store.read(being_written.sha256) == TINY_JPEG + b"current"
    store.close()


def test_prune_spares_packs_of_the_current_hour(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    """Another process may still append to them, however long ago it last did."""
    writer, pruner = _store(tmp_path, sessions), _store(tmp_path, sessions)
    stored = writer.write(TINY_JPEG)
    writer.sync()
    time.sleep(0.01)
    report = pruner.prune(0.001, keep=set())
    assert report.deleted_packs == 0
    assert (tmp_path / "packs" / stored.pack).exists()
    writer.close()


def test_single_files_of_earlier_versions_are_read_and_pruned_by_age(
    store: SnapshotStore, tmp_path: Path
) -> None:
    digests = [hashlib.sha256(data).hexdigest() for data in (TINY_JPEG, TINY_JPEG + b"kept")]
    for digest, data in zip(digests, (TINY_JPEG, TINY_JPEG + b"kept"), strict=True):
        path = tmp_path / digest[:2] / digest[2:4] / digest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (1.0, 1.0))
    assert store.read(digests[0]) == TINY_JPEG

    report = store.prune(7 * DAY, keep={digests[1]})

    assert (report.deleted, report.kept_referenced, report.freed_bytes) == (1, 1, len(TINY_JPEG))
    assert store.read(digests[0]) is None
    assert store.read(digests[1]) == TINY_JPEG + b"kept"
