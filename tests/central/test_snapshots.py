from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gridwatch_central.snapshots import SnapshotStore
from tests.central.helpers import TINY_JPEG


def test_snapshots_are_stored_once_by_content_hash(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    digest = store.save(TINY_JPEG)
    assert digest == hashlib.sha256(TINY_JPEG).hexdigest()
    assert store.save(TINY_JPEG) == digest
    path = tmp_path / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == TINY_JPEG
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temp files left
    assert store.read(digest) == TINY_JPEG
    assert store.read("0" * 64) is None


def test_hash_is_checked_before_touching_the_disk(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a sha256"):
        SnapshotStore(tmp_path).read("../../etc/passwd")
