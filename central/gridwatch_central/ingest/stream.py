"""What the ingest pipeline (``consumer``, ``resilient``) needs from a kind of message.

Camera alerts (``ingest.service.IngestService``) and sensor batches
(``sensors.ingest.SensorIngestService``) are two streams of one mechanism: the same three
stages, the same outage hold and batch bisection, the same quarantine and progress. A stream
prepares one message outside any transaction (decode, validate, look up), stores a batch of
prepared messages in one transaction, and says what a refused message's outcome is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import repository
from gridwatch_central.ingest.quarantine import Rejected


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message as received; ``received_at`` is the server clock at arrival."""

    topic: str
    payload: bytes
    received_at: datetime
    # Set by the consumer: the topic is what the broker's ACL vouches for, so a message whose
    # sender ids differ from it is refused. Direct calls (tests, tools) pass topics of their
    # own choosing and leave it off.
    check_topic: bool = False


class Quarantinable(Protocol):
    def rejected(self, code: str, reason: str) -> Rejected:
        """This prepared message quarantined after all (the database refused it)."""
        ...


PreparedT = TypeVar("PreparedT", bound=Quarantinable)
OutcomeT = TypeVar("OutcomeT")


class IngestStream(Protocol[PreparedT, OutcomeT]):
    @property
    def clock(self) -> Callable[[], datetime]: ...

    def prepare(self, message: IncomingMessage, *, again: bool = False) -> PreparedT | Rejected:
        """Raises only for an outage of the store (held and prepared ``again``)."""
        ...

    def store(self, prepared: Sequence[PreparedT | Rejected]) -> list[OutcomeT]:
        """One transaction; raises on any failure (``resilient`` decides what it was)."""
        ...

    def database_answers(self) -> bool: ...

    def rejected_outcome(self, item: Rejected) -> OutcomeT:
        """The outcome of a quarantined message (counted), for its sender's receipt."""
        ...


def database_answers(sessions: sessionmaker[Session]) -> bool:
    """Whether the database answers a trivial query now (an outage's end, or not one)."""
    try:
        with sessions() as session:
            repository.ping(session)
    except Exception:  # whatever the driver raises, it did not answer
        return False
    return True
