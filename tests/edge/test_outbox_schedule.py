"""When unacknowledged alerts are sent again: after a (doubling) timeout and on reconnect."""

from __future__ import annotations

import uuid

from gridwatch_edge.outbox import PendingEntry, ResendPolicy, ResendSchedule

POLICY = ResendPolicy(ack_timeout_s=10.0, max_resend_interval_s=35.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _entry(seq: int = 1) -> PendingEntry:
    return PendingEntry(seq, uuid.uuid4(), "cam1", "t", 10, 0)


def _schedule() -> tuple[ResendSchedule, FakeClock]:
    clock = FakeClock()
    return ResendSchedule(POLICY, clock=clock), clock


def test_new_alert_is_due_then_waits_for_its_ack() -> None:
    schedule, clock = _schedule()
    entry = _entry()
    assert schedule.due([entry]) == [entry]
    schedule.sent(entry)
    assert schedule.due([entry]) == []
    clock.now += 9.9
    assert schedule.due([entry]) == []
    assert schedule.next_due_in() is not None


def test_unacked_alert_is_resent_after_the_timeout_with_doubling_back_off() -> None:
    schedule, clock = _schedule()
    entry = _entry()
    schedule.sent(entry)
    waits = []
    for _ in range(4):
        waited = 0.0
        while not schedule.due([entry]):
            clock.now += 0.5
            waited += 0.5
        waits.append(waited)
        schedule.sent(entry)
    assert waits == [10.0, 20.0, 35.0, 35.0]  # doubling, capped at max_resend_interval_s
    assert schedule.resends == 4


def test_reconnect_makes_everything_in_flight_due_again() -> None:
    schedule, _clock = _schedule()
    entries = [_entry(1), _entry(2)]
    for entry in entries:
        schedule.sent(entry)
    assert schedule.due(entries) == []
    schedule.reconnected()
    assert schedule.due(entries) == entries
    assert schedule.next_due_in() == 0.0


def test_acked_alert_is_forgotten() -> None:
    schedule, clock = _schedule()
    entry = _entry()
    schedule.sent(entry)
    schedule.acked(entry.alert_id)
    assert schedule.next_due_in() is None
    clock.now += 1000
    assert schedule.resends == 0


def test_alerts_gone_from_the_outbox_are_forgotten() -> None:
    schedule, _clock = _schedule()
    dropped, kept = _entry(1), _entry(2)
    schedule.sent(dropped)
    schedule.sent(kept)
    schedule.due([kept])  # dropped by a bound: no longer among the heads
    schedule.acked(kept.alert_id)
    assert schedule.next_due_in() is None
