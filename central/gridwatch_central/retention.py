"""Retention of evidence files: old snapshot packs and clips go, evidence of open cases stays.

Both follow ``snapshot_retention_days``: a pack or clip older than that goes unless an open
case still refers to it; clip uploads abandoned half-way go after ``clip_upload_ttl_s`` (the
clip store's own setting). One background round every ``snapshot_prune_interval_s``; without a
retention period nothing is ever deleted and no thread runs.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.clips.store import ClipPruneReport, ClipStore
from gridwatch_central.clock import Clock
from gridwatch_central.db import clip_repository, repository
from gridwatch_central.periodic import PeriodicTask
from gridwatch_central.snapshots import PruneReport, SnapshotStore

log = logging.getLogger(__name__)

SECONDS_PER_DAY = 86400


class Retention:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        snapshots: SnapshotStore,
        clips: ClipStore,
        clock: Clock,
        *,
        retention_days: float | None,
        interval_s: float,
    ) -> None:
        self._sessions = sessions
        self._snapshots = snapshots
        self._clips = clips
        self._clock = clock
        self._max_age_s = None if retention_days is None else retention_days * SECONDS_PER_DAY
        # The first round after one interval: a restart loop must not turn into a prune loop.
        self._task = PeriodicTask("snapshot-retention", interval_s, self._round, run_at_start=False)

    def start(self) -> None:
        if self._max_age_s is not None:
            self._task.start()

    def stop(self) -> None:
        self._task.stop()

    def prune_snapshots(self) -> PruneReport:
        """Apply snapshot retention once: old packs holding no evidence of an open case go."""
        if self._max_age_s is None:
            return PruneReport(
                deleted=0, deleted_packs=0, kept_referenced=0, kept_packs=0, freed_bytes=0
            )
        with self._sessions() as session:
            keep = repository.snapshots_of_open_cases(session)
        report = self._snapshots.prune(self._max_age_s, keep, now=self._clock().timestamp())
        if report.deleted:
            log.info("snapshot retention: %s", report)
        return report

    def prune_clips(self) -> ClipPruneReport:
        """Apply retention to clips: the snapshots' age limit, kept while evidence of an open
        case; abandoned uploads go after the clip store's upload TTL."""
        with self._sessions() as session:
            keep = clip_repository.clips_of_open_cases(session)
        report = self._clips.prune(self._sessions, self._max_age_s, keep, now=self._clock())
        if report.deleted or report.abandoned_uploads:
            log.info("clip retention: %s", report)
        return report

    def _round(self) -> None:
        self.prune_snapshots()
        self.prune_clips()
