"""Replay: run every file camera of a config to its end, as fast as possible, without a broker.

Integrators tune zones and thresholds with it on recorded footage (``gridwatch edge replay``);
the rule tests use it too. Live cameras are left out: they have no end.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from gridwatch_contract.messages import AlertMessage
from gridwatch_edge.config import EdgeConfig
from gridwatch_edge.detector import Detector
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sources.url import SourceKind, check_source_url

logger = logging.getLogger(__name__)

AlertCallback = Callable[[AlertMessage], None]


class ReplayError(EdgeError):
    """The config has no file camera, or a file could not be replayed to its end."""


def file_cameras_only(config: EdgeConfig) -> EdgeConfig:
    """The config with live cameras dropped and files set to run as fast as possible."""
    cameras = []
    for camera in config.cameras:
        if check_source_url(camera.url) is SourceKind.LIVE:
            logger.warning("replay skips live camera %s", camera.id)
            continue
        cameras.append(camera.model_copy(update={"realtime": False}))
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


def replay(
    config: EdgeConfig, detector: Detector, on_alert: AlertCallback | None = None
) -> list[AlertMessage]:
    """Every alert the file cameras raise, in the order raised; ``ReplayError`` on failure."""
    sink = _CallbackSink(on_alert)
    runtime = EdgeRuntime(file_cameras_only(config), detector=detector, sink=sink)
    runtime.start()
    try:
        runtime.wait()
    finally:
        runtime.stop()
    if runtime.failed_cameras:
        raise ReplayError(f"could not replay camera(s): {', '.join(runtime.failed_cameras)}")
    return sink.alerts


def alert_summary(alert: AlertMessage) -> dict[str, Any]:
    """The fields an integrator tunes with, without the snapshot."""
    return {
        "type": alert.event_type.value,
        "camera": alert.camera_id,
        "zone": alert.zone_id,
        "rule": alert.rule_id,
        "state": alert.state.value,
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
