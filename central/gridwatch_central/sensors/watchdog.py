"""Heartbeat watchdog: a sensor silent for ``missed_heartbeats`` intervals is ``sensor_offline``.

Every central process runs one; each alarm is raised once. Marking a sensor offline is a
conditional update (still online, still last seen when we looked) that only one process can
win, in the transaction that stores the ``sensor_offline`` alert; the loser's update matches
nothing. The sensor's next record (any kind) flips it back and raises ``sensor_online`` in
ingest (``sensors.ingest``), under the same row lock. Times are the server clock's: a device
whose clock is wrong still goes offline when it falls silent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.clock import Clock
from gridwatch_central.db import sensor_repository as sensors
from gridwatch_central.db.engine import run_in_transaction
from gridwatch_central.ingest.alert_store import AlertStore, AlertToStore
from gridwatch_central.periodic import PeriodicTask
from gridwatch_central.sensors.alerts import Locate, availability_alert
from gridwatch_central.sensors.directory import SensorDirectory

log = logging.getLogger(__name__)


class HeartbeatWatchdog:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        directory: SensorDirectory,
        alerts: AlertStore,
        clock: Clock,
        locate: Locate,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._alerts = alerts
        self._clock = clock
        self._locate = locate
        self._types = directory.types
        # The first round after one interval: sensors get a chance to report after a restart.
        self._task = PeriodicTask(
            "sensor-watchdog", self._types.watchdog_interval_s, self.tick, run_at_start=False
        )

    def tick(self) -> list[str]:
        """One look for silent sensors; the ids this process marked offline."""
        known = {sensor.id: sensor for sensor in self._directory.all()}
        if not known:
            return []
        missed = self._types.missed_heartbeats
        now = self._clock()
        shortest = min(sensor.heartbeat_interval_s for sensor in known.values())
        candidates = self._silent(now - timedelta(seconds=shortest * missed))
        overdue = [
            (sensor_id, seen)
            for sensor_id, seen in sorted(candidates)
            if sensor_id in known
            and now - seen > timedelta(seconds=known[sensor_id].heartbeat_interval_s * missed)
        ]
        if not overdue:
            return []

        def transaction(session: Session) -> list[str]:
            marked: list[str] = []
            raised: list[AlertToStore] = []
            for sensor_id, seen in overdue:
                if sensors.mark_offline(session, sensor_id, seen):
                    marked.append(sensor_id)
                    raised.append(
                        availability_alert(
                            known[sensor_id],
                            online=False,
                            at=now,
                            received_at=now,
                            category=self._types.offline_category,
                            locate=self._locate,
                        )
                    )
            self._alerts.store(session, raised)
            return marked

        marked = run_in_transaction(self._sessions, transaction)
        for sensor_id in marked:
            log.warning("sensor %s went silent: sensor_offline", sensor_id)
        return marked

    def _silent(self, seen_before: datetime) -> list[tuple[str, datetime]]:
        with self._sessions() as session:
            return list(sensors.silent_sensors(session, seen_before))

    def start(self) -> None:
        self._task.start()

    def stop(self) -> None:
        self._task.stop()
