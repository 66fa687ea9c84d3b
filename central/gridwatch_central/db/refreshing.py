"""Database rows held in memory and reloaded when any central process changes them.

The camera and sensor directories answer every alert and record from memory. Whether the rows
changed is a cheap query (a fingerprint such as row count and newest update), asked at most
every ``refresh_s``; only a changed fingerprint reloads. This process's own changes reload at
once (``invalidate``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

ValueT = TypeVar("ValueT")


class Refreshing(Generic[ValueT]):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        fingerprint: Callable[[Session], Hashable],
        load: Callable[[Session], ValueT],
        empty: ValueT,
        refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._fingerprint_of = fingerprint
        self._load = load
        self._refresh_s = refresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._value = empty
        self._fingerprint: Hashable | None = None
        self._checked_at = float("-inf")

    def get(self) -> ValueT:
        """The rows as loaded, reloaded first if the interval passed and they changed."""
        if self._clock() - self._checked_at >= self._refresh_s:
            self.refresh()
        return self._value

    def invalidate(self) -> None:
        """Reload on the next ``get`` (after this process changed the rows)."""
        self._checked_at = float("-inf")
        self._fingerprint = None

    def refresh(self) -> None:
        with self._lock, self._sessions() as session:
            self._checked_at = self._clock()
            fingerprint = self._fingerprint_of(session)
            if fingerprint == self._fingerprint:
                return
            self._value = self._load(session)
            self._fingerprint = fingerprint
