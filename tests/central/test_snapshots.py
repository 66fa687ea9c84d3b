from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from gridwatch_central.db.tables import IncidentRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.snapshots import SnapshotStore
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import GeoPoint, Snapshot
from tests.central.helpers import TINY_JPEG, make_alert


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


def test_prune_deletes_old_unreferenced_files_only(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    old_free = store.save(TINY_JPEG)
    old_evidence = store.save(TINY_JPEG + b"evidence")
    fresh = store.save(TINY_JPEG + b"fresh")
    day = 86400.0
    now = time.time()
    for digest in (old_free, old_evidence):
        os.utime(store.path_for(digest), (now - 10 * day, now - 10 * day))
    stray = store.path_for(fresh).parent / ".tmp-crashed"
    stray.write_bytes(b"half")
    os.utime(stray, (now - 10 * day, now - 10 * day))

    report = store.prune(7 * day, keep={old_evidence}, now=now)

    assert (report.deleted, report.kept_referenced) == (1, 1)
    assert report.freed_bytes == len(TINY_JPEG)
    assert store.read(old_free) is None
    assert store.read(old_evidence) is not None
    assert store.read(fresh) is not None
    assert not stray.exists()


def test_writing_an_existing_image_again_renews_its_age(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    digest = store.save(TINY_JPEG)
    path = store.path_for(digest)
    os.utime(path, (1.0, 1.0))
    store.write(TINY_JPEG)  # the same frame arrives with a new alert
    assert path.stat().st_mtime > 1.0
    assert store.prune(86400, keep=set()).deleted == 0


def test_runtime_retention_keeps_evidence_of_open_cases(runtime: CentralRuntime) -> None:
    open_alert = make_alert(snapshot=Snapshot(data=TINY_JPEG + b"open", width=8, height=8))
    # 1.1 km away: a crowd of its own, so an incident of its own.
    closed_alert = make_alert(
        snapshot=Snapshot(data=TINY_JPEG + b"closed", width=8, height=8),
        location=GeoPoint(lat=30.2390, lon=108.3985),
    )
    topic = "gridwatch/v1/alerts/edge-01/cam-01/crowd"
    outcomes = [runtime.ingest.handle(topic, encode_message(a)) for a in (open_alert, closed_alert)]
    assert outcomes[0].incident_id != outcomes[1].incident_id
    with runtime.sessions.begin() as session:
        # The first still waits for review; the second was rejected as a false alarm.
        session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == outcomes[1].incident_id)
            .values(status="FALSE_ALARM")
        )
    for path in runtime.snapshots.root.glob("??/??/*"):
        os.utime(path, (1.0, 1.0))  # both images are far past retention
    report = runtime.prune_snapshots()
    assert (report.deleted, report.kept_referenced) == (1, 1)
    assert open_alert.snapshot is not None
    assert runtime.snapshots.read(hashlib.sha256(open_alert.snapshot.data or b"").hexdigest())
