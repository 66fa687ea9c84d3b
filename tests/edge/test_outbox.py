"""The SQLite outbox on a real file: acks, per-camera order, bounds, TTL, reopen, kill -9."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from gridwatch_edge.outbox import OutboxError, OutboxLimits, OutboxStore
from tests.conftest import REPO_ROOT

LIMITS = OutboxLimits(max_entries=100, max_bytes=1_000_000, ttl_s=3600, history_entries=100)


class FakeWallClock:
    """Stands in for time.time so that TTL is tested without waiting."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _add(store: OutboxStore, camera: str, size: int = 100) -> uuid.UUID:
    alert_id = uuid.uuid4()
    store.add(alert_id, camera, f"t/{camera}", bytes([len(camera)]) * size)
    return alert_id


def _cameras(store: OutboxStore, per_camera: int = 1) -> list[tuple[str, uuid.UUID]]:
    return [(entry.camera_id, entry.alert_id) for entry in store.heads(per_camera)]


@pytest.fixture
def store(tmp_path: Path) -> OutboxStore:
    return OutboxStore(tmp_path / "outbox.db", LIMITS)


def test_ack_removes_the_alert_once(store: OutboxStore) -> None:
    alert_id = _add(store, "cam1")
    assert store.depth() == 1
    assert store.ack(alert_id, "stored")
    assert store.depth() == 0
    assert store.heads(10) == []
    assert not store.ack(alert_id, "duplicate"), "a repeated ack must not count twice"
    counts = store.counts()
    assert counts.acked == {"stored": 1}
    assert counts.enqueued == 1
    (row,) = store.history()
    assert (row.alert_id, row.state) == (alert_id, "stored")


def test_rejected_alert_leaves_and_is_counted(store: OutboxStore) -> None:
    alert_id = _add(store, "cam1")
    assert store.ack(alert_id, "rejected")
    assert store.depth() == 0
    assert store.counts().acked == {"rejected": 1}


def test_heads_keep_enqueue_order_per_camera(store: OutboxStore) -> None:
    a1, b1, a2, a3, b2 = (_add(store, c) for c in ("a", "b", "a", "a", "b"))
    assert _cameras(store) == [("a", a1), ("b", b1)]
    assert _cameras(store, per_camera=2) == [("a", a1), ("b", b1), ("a", a2), ("b", b2)]
    store.ack(a1, "stored")
    assert _cameras(store) == [("b", b1), ("a", a2)]
    store.ack(a2, "duplicate")
    store.ack(b1, "stored")
    assert _cameras(store) == [("a", a3), ("b", b2)]


def test_payload_is_kept_until_the_ack(store: OutboxStore) -> None:
    alert_id = uuid.uuid4()
    seq = store.add(alert_id, "cam1", "t/cam1", b'{"x": 1}')
    assert store.payload(seq) == b'{"x": 1}'
    store.ack(alert_id, "stored")
    assert store.payload(seq) is None


def test_entry_bound_drops_oldest_of_the_busiest_camera(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limits = OutboxLimits(max_entries=4, max_bytes=1_000_000, ttl_s=3600, history_entries=100)
    store = OutboxStore(tmp_path / "outbox.db", limits)
    quiet = _add(store, "quiet")
    busy = [_add(store, "busy") for _ in range(3)]
    with caplog.at_level(logging.WARNING):
        newest = _add(store, "busy")
    assert store.depth() == 4
    remaining = {entry.alert_id for entry in store.heads(10)}
    assert remaining == {quiet, *busy[1:], newest}, "the busy camera's oldest goes first"
    assert store.counts().dropped == {"overflow": 1}
    assert f"dropped alert {busy[0]} of camera busy (overflow)" in caplog.text
    assert {row.alert_id: row.state for row in store.history()}[busy[0]] == "overflow"


def test_byte_bound_drops_until_it_fits(tmp_path: Path) -> None:
    limits = OutboxLimits(max_entries=100, max_bytes=1000, ttl_s=3600, history_entries=100)
    store = OutboxStore(tmp_path / "outbox.db", limits)
    first = [_add(store, "cam1", size=300) for _ in range(3)]
    last = _add(store, "cam1", size=500)
    assert [entry.alert_id for entry in store.heads(10)] == [first[2], last]
    assert store.counts().pending_bytes == 800
    assert store.counts().dropped == {"overflow": 2}


def test_ttl_expiry_is_counted(tmp_path: Path) -> None:
    clock = FakeWallClock()
    store = OutboxStore(tmp_path / "outbox.db", LIMITS, clock=clock)
    old = _add(store, "cam1")
    clock.now += 3000
    young = _add(store, "cam1")
    assert store.expire() == 0
    clock.now += 601  # the first is now 3601 s old, over the 3600 s TTL
    assert store.expire() == 1
    assert [entry.alert_id for entry in store.heads(10)] == [young]
    assert store.counts().dropped == {"expired": 1}
    assert {row.alert_id: row.state for row in store.history()}[old] == "expired"


def test_ttl_holds_across_a_reopen(tmp_path: Path) -> None:
    clock = FakeWallClock()
    OutboxStore(tmp_path / "outbox.db", LIMITS, clock=clock).add(uuid.uuid4(), "c", "t", b"x")
    clock.now += LIMITS.ttl_s + 1
    reopened = OutboxStore(tmp_path / "outbox.db", LIMITS, clock=clock)
    assert reopened.expire() == 1


def test_history_is_bounded(tmp_path: Path) -> None:
    limits = OutboxLimits(max_entries=100, max_bytes=1_000_000, ttl_s=3600, history_entries=2)
    store = OutboxStore(tmp_path / "outbox.db", limits)
    ids = [_add(store, "cam1") for _ in range(4)]
    pending = _add(store, "cam1")
    for alert_id in ids:
        store.ack(alert_id, "stored")
    assert [row.alert_id for row in store.history()] == [ids[2], ids[3], pending]


def test_pending_alerts_survive_a_reopen_in_order(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    first = OutboxStore(path, LIMITS)
    ids = [_add(first, "cam1", size=10) for _ in range(3)]
    first.ack(ids[0], "stored")
    first.close()
    second = OutboxStore(path, LIMITS)
    heads = second.heads(10)
    assert [entry.alert_id for entry in heads] == ids[1:]
    assert second.payload(heads[0].seq) == bytes([4]) * 10
    # New alerts queue behind the old ones.
    newer = _add(second, "cam1")
    assert [entry.alert_id for entry in second.heads(10)] == [*ids[1:], newer]


def test_a_committed_alert_survives_kill_9(tmp_path: Path) -> None:
    """A process that commits an alert and is SIGKILLed at once leaves it on disk."""
    path = tmp_path / "outbox.db"
    alert_id = uuid.uuid4()
    child = textwrap.dedent(
        f"""
        import os, signal, uuid
        from pathlib import Path
        from gridwatch_edge.outbox import OutboxLimits, OutboxStore
        store = OutboxStore(Path({str(path)!r}), OutboxLimits(10, 10**6, 3600, 10))
        store.add(uuid.UUID({str(alert_id)!r}), "cam1", "t/cam1", b"payload")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", child], cwd=REPO_ROOT, check=False)
    assert result.returncode == -signal.SIGKILL
    (entry,) = OutboxStore(path, LIMITS).heads(10)
    assert entry.alert_id == alert_id


def test_a_file_that_is_not_an_outbox_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(OutboxError, match=r"cannot open the outbox .*outbox\.db"):
        OutboxStore(path, LIMITS)
