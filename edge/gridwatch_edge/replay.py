"""Replay: run every file camera of a config to its end, as fast as possible, without a broker.

Integrators tune zones and thresholds with it on recorded footage (``gridwatch edge replay``);
the rule tests use it too. Live cameras are left out: they have no end. A replay may be
narrowed to some cameras, some rules and a window of media time, and reports what it did
(``ReplaySummary``) besides the alerts.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridwatch_contract.messages import AlertMessage
from gridwatch_edge.config import EdgeConfig
from gridwatch_edge.detector import Detector
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.pipeline import CameraPipeline, MediaWindow
from gridwatch_edge.rules import LineCrossingRule
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sources.url import SourceKind, check_source_url

logger = logging.getLogger(__name__)

AlertCallback = Callable[[AlertMessage], None]


class ReplayError(EdgeError):
    """The config has no file camera, or a file could not be replayed to its end."""


@dataclass(frozen=True)
class ReplayScope:
    """What to replay: all file cameras and rules over the whole files by default."""

    cameras: Sequence[str] = ()
    rules: Sequence[str] = ()
    window: MediaWindow = field(default_factory=MediaWindow)


@dataclass
class CameraSummary:
    camera_id: str
    frames_decoded: int
    frames_analysed: int
    frames_detected: int
    # rule id -> {"events": n, "new": n, "update": n, "end": n}
    rules: dict[str, dict[str, int]]
    # line-crossing rule id -> its counts at the end, e.g. {"in_person": 3, "out_person": 1}
    line_counts: dict[str, dict[str, int]]


@dataclass
class ReplayResult:
    alerts: list[AlertMessage]
    cameras: list[CameraSummary]


def file_cameras_only(config: EdgeConfig, scope: ReplayScope | None = None) -> EdgeConfig:
    """The config with live cameras dropped, narrowed to the scope, files as fast as possible."""
    scope = scope or ReplayScope()
    unknown = set(scope.cameras) - {camera.id for camera in config.cameras}
    if unknown:
        raise ReplayError(f"no camera {', '.join(sorted(unknown))} in the config")
    known_rules = {rule.id for camera in config.cameras for rule in camera.rules}
    unknown = set(scope.rules) - known_rules
    if unknown:
        raise ReplayError(f"no rule {', '.join(sorted(unknown))} in the config")
    cameras = []
    for camera in config.cameras:
        if scope.cameras and camera.id not in scope.cameras:
            continue
        if check_source_url(camera.url) is SourceKind.LIVE:
            logger.warning("replay skips live camera %s", camera.id)
            continue
        rules = [rule for rule in camera.rules if not scope.rules or rule.id in scope.rules]
        cameras.append(camera.model_copy(update={"realtime": False, "rules": rules}))
    if not cameras:
        raise ReplayError("replay needs at least one camera reading a video file")
    return config.model_copy(update={"cameras": cameras})


class _CallbackSink:
    """An in-memory sink: keeps alerts in order and hands each to a callback as it comes."""

    def __init__(self, on_alert: AlertCallback | None) -> None:
        self._lock = threading.Lock()
        self._on_alert = on_alert
        self.alerts: list[AlertMessage] = []

    def publish_alert(self, alert: AlertMessage) -> None:
        with self._lock:  # camera threads call this concurrently
            self.alerts.append(alert)
            if self._on_alert is not None:
                self._on_alert(alert)


def replay_run(
    config: EdgeConfig,
    detector: Detector,
    on_alert: AlertCallback | None = None,
    scope: ReplayScope | None = None,
) -> ReplayResult:
    """Every alert the file cameras raise, in order, and what each camera did."""
    scope = scope or ReplayScope()
    sink = _CallbackSink(on_alert)
    runtime = EdgeRuntime(
        file_cameras_only(config, scope), detector=detector, sink=sink, media_window=scope.window
    )
    runtime.start()
    try:
        runtime.wait()
    finally:
        runtime.stop()
    if runtime.failed_cameras:
        raise ReplayError(f"could not replay camera(s): {', '.join(runtime.failed_cameras)}")
    summaries = [_summary(pipeline, sink.alerts) for pipeline in runtime.pipelines()]
    return ReplayResult(sink.alerts, summaries)


def replay(
    config: EdgeConfig, detector: Detector, on_alert: AlertCallback | None = None
) -> list[AlertMessage]:
    """Every alert the file cameras raise, in the order raised; ``ReplayError`` on failure."""
    return replay_run(config, detector, on_alert).alerts


def _summary(pipeline: CameraPipeline, alerts: list[AlertMessage]) -> CameraSummary:
    camera_id = pipeline.camera.id
    mine = [alert for alert in alerts if alert.camera_id == camera_id]
    rules: dict[str, dict[str, int]] = {}
    for rule in pipeline.camera.rules:
        of_rule = [alert for alert in mine if alert.rule_id == rule.id]
        states = Counter(alert.state.value for alert in of_rule)
        rules[rule.id] = {
            "events": len({alert.event_id for alert in of_rule}),
            **{state: states.get(state, 0) for state in ("new", "update", "end")},
        }
    return CameraSummary(
        camera_id=camera_id,
        frames_decoded=pipeline.reader.status().frames_read,
        frames_analysed=pipeline.frames_analysed,
        frames_detected=pipeline.frames_detected,
        rules=rules,
        line_counts={
            rule.rule_id: rule.counts
            for rule in pipeline.rules
            if isinstance(rule, LineCrossingRule)
        },
    )


def summary_text(result: ReplayResult) -> str:
    """The end-of-run summary a person reads after the JSON lines."""
    lines = []
    for camera in result.cameras:
        lines.append(
            f"camera {camera.camera_id}: {camera.frames_decoded} frames decoded,"
            f" {camera.frames_analysed} analysed ({camera.frames_detected} through the detector)"
        )
        for rule_id, counts in camera.rules.items():
            lines.append(
                f"  rule {rule_id}: {counts['events']} events"
                f" ({counts['new']} new, {counts['update']} update, {counts['end']} end)"
            )
        for rule_id, line_counts in camera.line_counts.items():
            shown = ", ".join(f"{key} {value}" for key, value in sorted(line_counts.items()))
            lines.append(f"  line {rule_id} final counts: {shown or 'none'}")
    return "\n".join(lines)


def alert_summary(alert: AlertMessage) -> dict[str, Any]:
    """The fields an integrator tunes with, without the snapshot."""
    return {
        "type": alert.event_type.value,
        "camera": alert.camera_id,
        "zone": alert.zone_id,
        "rule": alert.rule_id,
        "state": alert.state.value,
        "event_id": str(alert.event_id),
        "alert_id": str(alert.alert_id),
        "sequence": alert.sequence,
        "media_time_s": alert.media_time_s,
        "confidence": round(alert.confidence, 3),
        "objects": [
            {
                "class": obj.class_name,
                "track_id": obj.track_id,
                "score": round(obj.score, 3),
                "box": [round(v, 1) for v in (obj.box.x1, obj.box.y1, obj.box.x2, obj.box.y2)],
            }
            for obj in alert.objects
        ],
        "measurements": alert.measurements,
    }


def alert_json_line(alert: AlertMessage) -> str:
    return json.dumps(alert_summary(alert), ensure_ascii=False, separators=(",", ":"))


def save_snapshot(alert: AlertMessage, directory: Path) -> Path | None:
    """Write the alert's annotated snapshot as a JPEG named after camera, rule, state, media
    time and alert id; None when the alert carries no picture (it did not fit the packet)."""
    snapshot = alert.snapshot
    if snapshot is None or snapshot.data is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    media = f"{alert.media_time_s:08.1f}" if alert.media_time_s is not None else "live"
    name = f"{alert.camera_id}-{alert.rule_id}-{media}-{alert.state.value}-{alert.alert_id}.jpg"
    path = directory / name
    path.write_bytes(snapshot.data)
    return path
