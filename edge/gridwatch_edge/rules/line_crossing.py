"""Line crossing: tracked objects crossing a directed line, counted in and out per class.

The line runs from ``line[0]`` to ``line[1]`` in relative coordinates; an object whose bottom
centre passes from the left of that direction to its right (as seen on screen) goes ``in``,
the other way ``out``. A crossing needs a confirmed track whose last known side differs from
its current side, with the step between them cutting the line segment itself (passing beyond
its ends does not count). Points within ``dead_band`` box heights of the line are on neither
side, so a box jittering on the line is not a stream of crossings.

Alerts: an event is raised while at least ``min_crossings`` crossings (in ``direction``) fell
within the last ``window_s``; every alert carries the running totals since the rule started
(``in_total``, ``out_total``, ``in_<class>``, ``out_<class>``) in its measurements.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import EventType
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.object_filter import class_ids
from gridwatch_edge.rule_config import LineCrossingRuleConfig
from gridwatch_edge.rules.base import ConfidenceMemory, TrackLookup, make_event
from gridwatch_edge.rules.lifecycle import Lifecycle
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.tracking.geometry import segments_intersect, side_of_line
from gridwatch_edge.zones import Zone, ZoneMembership

IN, OUT = "in", "out"


class LineCrossingRule:
    def __init__(
        self,
        config: LineCrossingRuleConfig,
        zone: Zone | None,
        class_names: Sequence[str],
        tracks: TrackLookup,
    ) -> None:
        self._config = config
        self._class_names = list(class_names)
        self._classes = class_ids(config.classes, class_names, config.id)
        # Inertia is for zones; a crossing is judged frame to frame, so one frame is enough.
        self._membership = None if zone is None else ZoneMembership(zone, self._classes, 1)
        self._tracks = tracks
        self._last: dict[int, tuple[int, npt.NDArray[np.float64]]] = {}
        self._counts: Counter[tuple[str, str]] = Counter()
        self._recent: deque[float] = deque()
        self._lifecycle = Lifecycle(config)
        self._confidence = ConfidenceMemory()

    @property
    def rule_id(self) -> str:
        return self._config.id

    @property
    def counts(self) -> dict[str, int]:
        """Crossings since the rule started, e.g. ``{"in_person": 3, "out_person": 1}``."""
        return {f"{direction}_{name}": n for (direction, name), n in self._counts.items()}

    def overlays(self, width: int, height: int) -> list[npt.NDArray[np.int32]]:
        polygons = [np.round(self._line_px(width, height)).astype(np.int32)]
        if self._membership is not None:
            polygons.append(self._membership.zone.pixel_polygon(width, height))
        return polygons

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        now = frame.media_time_s
        candidates = detections.of_classes(self._classes)
        if self._membership is not None:
            candidates = self._membership.update(candidates, frame.width, frame.height)
        crossed = self._crossings(candidates, self._line_px(frame.width, frame.height), now)
        while self._recent and self._recent[0] < now - self._config.window_s:
            self._recent.popleft()
        raised = len(self._recent) >= self._config.min_crossings
        step = self._lifecycle.step(now, frame.captured_at, raised=raised)
        if step is None:
            return []
        objects = candidates.filter(crossed)
        measurements: dict[str, float] = {
            "in_total": float(sum(n for (d, _), n in self._counts.items() if d == IN)),
            "out_total": float(sum(n for (d, _), n in self._counts.items() if d == OUT)),
            "window_crossings": float(len(self._recent)),
            **{key: float(value) for key, value in self.counts.items()},
        }
        return [
            make_event(
                step,
                event_type=EventType.LINE_CROSSING,
                rule_id=self._config.id,
                zone_id=None if self._membership is None else self._membership.zone.id,
                frame=frame,
                objects=objects,
                confidence=self._confidence.of(objects),
                measurements=measurements,
            )
        ]

    def _crossings(
        self, candidates: Detections, line: npt.NDArray[np.float64], now_s: float
    ) -> npt.NDArray[np.bool_]:
        crossed = np.zeros(len(candidates), dtype=np.bool_)
        length = float(np.hypot(*(line[1] - line[0])))
        points = candidates.bottom_centers().astype(np.float64)
        heights = candidates.xyxy[:, 3] - candidates.xyxy[:, 1]
        for index, track_id in enumerate(candidates.tracker_id.tolist()):
            if track_id < 0:
                continue
            point = points[index]
            distance = side_of_line(line[0], line[1], point) / length
            if abs(distance) < self._config.dead_band * float(heights[index]):
                continue  # on the line: neither side yet
            side = 1 if distance > 0 else -1
            previous = self._last.get(track_id)
            self._last[track_id] = (side, point)
            if previous is None or previous[0] == side:
                continue
            if not segments_intersect(previous[1], point, line[0], line[1]):
                continue
            direction = IN if side > 0 else OUT
            name = self._class_names[int(candidates.class_id[index])].replace(" ", "_")
            self._counts[(direction, name)] += 1
            if self._config.direction in (direction, "both"):
                crossed[index] = True
                self._recent.append(now_s)
        self._forget_lost_tracks()
        return crossed

    def _forget_lost_tracks(self) -> None:
        for track_id in [t for t in self._last if self._tracks.get(t) is None]:
            del self._last[track_id]

    def _line_px(self, width: int, height: int) -> npt.NDArray[np.float64]:
        return np.asarray(self._config.line, dtype=np.float64) * np.array(
            [width - 1, height - 1], dtype=np.float64
        )
