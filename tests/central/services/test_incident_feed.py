"""The live feed's cursor: late commits below the highest id seen are delivered once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.incident_repository import IncidentChange
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.services.incident_feed import GAP_WAIT_S, FeedCursor, IncidentFeed
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_message
from tests.central.helpers import DEMO_CODES, make_alert, make_config


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def change(seq: int) -> IncidentChange:
    return IncidentChange(seq=seq, incident_id=seq, action="opened", grid_codes=(None, None, None))


def test_an_id_committed_late_is_delivered_once_and_nothing_twice() -> None:
    clock = Clock()
    cursor = FeedCursor(10, clock)
    # 12 committed before 11: 11 is a gap the next reads start below.
    assert [c.seq for c in cursor.accept([change(12)])] == [12]
    assert cursor.low == 10
    # The re-read returns 12 again (dropped) and the late 11 (delivered).
    assert [c.seq for c in cursor.accept([change(11), change(12), change(13)])] == [11, 13]
    assert cursor.low == 13


def test_a_gap_that_never_fills_is_given_up_after_the_wait() -> None:
    clock = Clock()
    cursor = FeedCursor(0, clock)
    cursor.accept([change(2)])  # 1 rolled back: it will never appear
    assert cursor.low == 0
    clock.now = GAP_WAIT_S + 1
    assert cursor.accept([change(2)]) == []
    assert cursor.low == 2


def test_an_incident_ingested_by_one_central_reaches_the_feed_of_another(
    postgres_url: str, broker: BrokerConfig, tmp_path: Path
) -> None:
    """Two central processes on one database: the feed polls it, not in-process events."""
    ingesting = CentralRuntime(make_config(postgres_url, broker, tmp_path / "a"))
    serving = CentralRuntime(make_config(postgres_url, broker, tmp_path / "b"))
    ingesting.start()
    serving.start()
    feed = IncidentFeed(serving.sessions, interval_s=0.05)
    street = Scope.of([DEMO_CODES[0][:9]])
    elsewhere = Scope.of(["500240102"])

    async def watch() -> list[IncidentChange]:
        mine, theirs = feed.subscribe(street), feed.subscribe(elsewhere)
        await asyncio.sleep(0.2)  # the poller has its starting point
        await asyncio.to_thread(
            ingesting.ingest.handle, "gw/v1/alerts", encode_message(make_alert())
        )
        arrived = [await asyncio.wait_for(mine.queue.get(), timeout=20)]
        feed.unsubscribe(mine)
        feed.unsubscribe(theirs)
        assert theirs.queue.empty()  # another street's operator is not told
        return [change for change in arrived if change is not None]

    try:
        # A thread of its own: the browser tests' driver may own this thread's event loop.
        with ThreadPoolExecutor(1) as thread:
            (change,) = thread.submit(asyncio.run, watch()).result()
        assert change.action == "opened"
        assert change.grid_codes == DEMO_CODES
    finally:
        ingesting.stop()
        serving.stop()
