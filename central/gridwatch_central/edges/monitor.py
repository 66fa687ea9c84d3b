"""Checking and storing one status or stats message of an edge.

A bad message (not JSON, not this contract version, an ``edge_id`` that is not the topic's) is
counted by error code and logged, and changes nothing; a database failure is counted and
logged too. Nothing here raises: the subscriber's thread must outlive every message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import edge_repository as repo
from gridwatch_central.db.edge_config_repository import ConfigReportRow
from gridwatch_central.db.engine import run_in_transaction
from gridwatch_central.edges.metrics import EdgeMonitorMetrics
from gridwatch_contract.codec import ContractError, decode_message
from gridwatch_contract.messages import (
    CameraStats,
    ConfigReport,
    EdgeAvailability,
    EdgeStatsMessage,
    EdgeStatusMessage,
)
from gridwatch_contract.topics import Topics, validate_id

log = logging.getLogger(__name__)

Kind = Literal["status", "stats"]
MessageT = TypeVar("MessageT", EdgeStatusMessage, EdgeStatsMessage)
# A stats message lists at most 256 cameras (~400 bytes each); anything near this is garbage.
MAX_MESSAGE_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class EdgeMessage:
    topic: str
    payload: bytes
    retained: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class _Topic:
    edge_id: str
    kind: Kind


class _RejectedError(ValueError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class EdgeMonitor:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        topics: Topics,
        metrics: EdgeMonitorMetrics,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._root = topics.root
        self.metrics = metrics
        self.clock = clock

    def handle(self, message: EdgeMessage) -> None:
        """Store what ``message`` says about its edge, or count and log why it cannot."""
        kind: str = "unknown"
        try:
            topic = self._parse_topic(message.topic)
            kind = topic.kind
            if not message.payload:
                return  # a retained status cleared by an admin: nothing to record
            if topic.kind == "status":
                self._store(kind, lambda s: repo.record_status(s, self._status(topic, message)))
            else:
                self._store(kind, lambda s: repo.record_stats(s, self._stats(topic, message)))
        except _RejectedError as error:
            self.metrics.rejected.labels(kind=kind, code=error.code).inc()
            log.warning("ignoring an invalid %s message on %s: %s", kind, message.topic, error)

    def _store(self, kind: Kind, work: Callable[[Session], None]) -> None:
        try:
            run_in_transaction(self._sessions, work)
        except SQLAlchemyError:
            self.metrics.failed.labels(kind=kind).inc()
            log.exception("could not store an edge %s message", kind)
            return
        self.metrics.stored.labels(kind=kind).inc()

    def _parse_topic(self, topic: str) -> _Topic:
        """``{root}/edges/{edge_id}/status|stats``, else rejected."""
        levels = topic.removeprefix(f"{self._root}/").split("/")
        if not topic.startswith(f"{self._root}/") or len(levels) != 3 or levels[0] != "edges":
            raise _RejectedError("bad_topic", "not an edge status or stats topic")
        if levels[2] not in ("status", "stats"):
            raise _RejectedError("bad_topic", f"unexpected topic level {levels[2]!r}")
        try:
            edge_id = validate_id(levels[1], "edge_id")
        except ValueError as error:
            raise _RejectedError("bad_topic", str(error)) from None
        kind: Kind = "status" if levels[2] == "status" else "stats"
        return _Topic(edge_id, kind)

    def _status(self, topic: _Topic, message: EdgeMessage) -> repo.StatusReport:
        status = _decode(EdgeStatusMessage, message.payload)
        _same_edge(topic, status.edge_id)
        # Only a live "online" is a sign of life now. A retained status is a replay (the edge was
        # alive when it wrote it), and an "offline" may be the broker's last will, written when
        # the edge connected: both count from the time in the message.
        live_online = status.state is EdgeAvailability.ONLINE and not message.retained
        seen_at = message.received_at if live_online else min(status.at, message.received_at)
        return repo.StatusReport(
            edge_id=topic.edge_id,
            state=status.state.value,
            software_version=status.software_version,
            received_at=message.received_at,
            seen_at=seen_at,
            config=_config_report(status.config),
        )

    def _stats(self, topic: _Topic, message: EdgeMessage) -> repo.StatsReport:
        stats = _decode(EdgeStatsMessage, message.payload)
        _same_edge(topic, stats.edge_id)
        cameras = {camera.camera_id: camera for camera in stats.cameras}
        if len(cameras) != len(stats.cameras):
            raise _RejectedError("duplicate_camera", "a camera is listed twice")
        return repo.StatsReport(
            edge_id=topic.edge_id,
            received_at=message.received_at,
            stats_at=stats.at,
            uptime_s=stats.uptime_s,
            outbox_depth=stats.outbox_depth,
            inference_ms_p50=stats.inference_ms_p50,
            stats_interval_s=stats.stats_interval_s,
            model_name=stats.model.name if stats.model else None,
            model_version=stats.model.version if stats.model else None,
            cameras=[_camera_columns(camera) for camera in cameras.values()],
        )


def _config_report(report: ConfigReport | None) -> ConfigReportRow | None:
    if report is None:
        return None
    return ConfigReportRow(
        applied_revision=report.applied_revision,
        rejected_revision=report.rejected_revision,
        error=report.error,
        camera_errors={problem.camera: problem.reason for problem in report.cameras},
    )


def _decode(model: type[MessageT], payload: bytes) -> MessageT:
    try:
        return decode_message(model, payload, max_bytes=MAX_MESSAGE_BYTES)
    except ContractError as error:
        raise _RejectedError(error.code, error.reason) from None


def _same_edge(topic: _Topic, edge_id: str) -> None:
    if edge_id != topic.edge_id:
        raise _RejectedError(
            "edge_id_mismatch", f"message of edge {edge_id!r} on the topic of {topic.edge_id!r}"
        )


def _camera_columns(camera: CameraStats) -> dict[str, object]:
    return camera.model_dump(include=_CAMERA_FIELDS)


# The CameraStats fields stored as camera_health columns (all of them, by name).
_CAMERA_FIELDS = {
    "camera_id",
    "online",
    "connection",
    "input_fps",
    "analysed_fps",
    "frames_read",
    "frames_analysed",
    "frames_skipped",
    "frames_motion_skipped",
    "reconnects_last_hour",
    "alerts",
    "last_frame_at",
    "last_error",
    "last_error_at",
}
