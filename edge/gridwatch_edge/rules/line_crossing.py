"""Line crossing: tracked objects crossing a directed line, counted in and out per class.

The line runs from ``line[0]`` to ``line[1]`` (relative, or pixels with ``units: px``); an
object whose bottom centre passes from the left of that direction to its right (as seen on
screen) goes ``in``, the other way ``out``. Points within ``dead_band`` box heights of the
line are on neither side, so a box jittering on the line is not a stream of crossings.

A crossing is a hysteresis: a confirmed track must have been on one side, step across the line
segment itself (passing beyond its ends does not count), and then *stay* on the other side
until it is ``min_distance`` box heights beyond the line and ``min_time_s`` has passed. A track
that turns back before that counts nothing, and so does the id switch when two people meet at
the line and both turn back (each id briefly on the other's box, then back home). Counts
since the last alert are reported when the file ends or the edge stops (``finish``).

Alerts: an event is raised while at least ``min_crossings`` crossings (in ``direction``) fell
within the last ``window_s``; every alert carries the running totals since the rule started
(``in_total``, ``out_total``, ``in_<class>``, ``out_<class>``) in its measurements.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.rules import LineCrossingRuleConfig
from gridwatch_contract.messages import EventType
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.object_filter import class_ids
from gridwatch_edge.rules.base import ConfidenceMemory, TrackLookup, make_event
from gridwatch_edge.rules.lifecycle import Lifecycle, Step
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.tracking.geometry import segments_intersect, side_of_line
from gridwatch_edge.zones import Zone, ZoneMembership, to_pixels

IN, OUT = "in", "out"
# Two tracks from opposite sides, both within min_distance of the line and their feet closer
# than this many box heights (about a body's width: their boxes merge), have met on it: the
# tracker may swap their ids, so neither crossing is counted (the net flow is the same either
# way). On the sample clip people passing each other at the line keep 0.46-0.7 heights apart;
# people meeting face to face come within 0.2-0.38.
MEET_RADIUS = 0.4


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
        self._sides: dict[int, _TrackSide] = {}
        self._counts: Counter[tuple[str, str]] = Counter()
        self._reported: Counter[tuple[str, str]] = Counter()
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

    def finish(self, frame: Frame) -> list[Event]:
        """The counts not yet reported: the last event ends carrying them (or one is opened and
        closed for them), so a file's or a shift's final counts always reach central."""
        if self._unreported() == 0:
            return []
        now, captured_at = frame.media_time_s, frame.captured_at
        opened = self._lifecycle.open_now(now, captured_at)
        events = [] if opened is None else [self._event(opened, frame, Detections.empty())]
        return [*events, self._event(self._lifecycle.end_now(now), frame, Detections.empty())]

    def _unreported(self) -> int:
        """Crossings in this rule's direction that no alert has carried yet."""
        return sum(
            count - self._reported[key]
            for key, count in self._counts.items()
            if self._config.direction in (key[0], "both")
        )

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
        line = self._line_px(frame.width, frame.height)
        crossed = self._crossings(candidates, line, now)
        while self._recent and self._recent[0] < now - self._config.window_s:
            self._recent.popleft()
        raised = len(self._recent) >= self._config.min_crossings
        step = self._lifecycle.step(now, frame.captured_at, raised=raised)
        if step is None:
            return []
        return [self._event(step, frame, candidates.filter(crossed))]

    def _event(self, step: Step, frame: Frame, objects: Detections) -> Event:
        self._reported = Counter(self._counts)
        measurements: dict[str, float] = {
            "in_total": float(sum(n for (d, _), n in self._counts.items() if d == IN)),
            "out_total": float(sum(n for (d, _), n in self._counts.items() if d == OUT)),
            "window_crossings": float(len(self._recent)),
            **{key: float(value) for key, value in self.counts.items()},
        }
        return make_event(
            step,
            event_type=EventType.LINE_CROSSING,
            rule_id=self._config.id,
            zone_id=None if self._membership is None else self._membership.zone.id,
            frame=frame,
            objects=objects,
            confidence=self._confidence.of(objects),
            measurements=measurements,
        )

    def _crossings(
        self, candidates: Detections, line: npt.NDArray[np.float64], now_s: float
    ) -> npt.NDArray[np.bool_]:
        crossed = np.zeros(len(candidates), dtype=np.bool_)
        length = float(np.hypot(*(line[1] - line[0])))
        points = candidates.bottom_centers().astype(np.float64)
        heights = np.maximum(candidates.xyxy[:, 3] - candidates.xyxy[:, 1], 1.0)
        tracked = [(i, t) for i, t in enumerate(candidates.tracker_id.tolist()) if t >= 0]
        distances = {}
        for index, track_id in tracked:
            # Signed distance from the line in box heights: the band scales with apparent size.
            distance = side_of_line(line[0], line[1], points[index]) / length / heights[index]
            state = self._sides.setdefault(track_id, _TrackSide())
            state.last = (points[index], float(heights[index]), abs(distance))
            distances[index] = distance
        self._mark_meetings([track_id for _, track_id in tracked])
        for index, track_id in tracked:
            distance = distances[index]
            if abs(distance) < self._config.dead_band:
                continue  # on the line: neither side yet
            side = 1 if distance > 0 else -1
            state = self._sides[track_id]
            if not state.crossed(
                side,
                point=points[index],
                distance=abs(distance),
                now_s=now_s,
                line=line,
                config=self._config,
            ):
                continue
            if state.met:
                state.met = False
                continue  # met someone from the other side on the line: maybe not itself
            direction = IN if side > 0 else OUT
            name = self._class_names[int(candidates.class_id[index])].replace(" ", "_")
            self._counts[(direction, name)] += 1
            if self._config.direction in (direction, "both"):
                crossed[index] = True
                self._recent.append(now_s)
        self._forget_lost_tracks()
        return crossed

    def _mark_meetings(self, track_ids: list[int]) -> None:
        """Flag tracks from opposite sides that stand together inside the band this frame."""
        near = [
            state
            for track_id in track_ids
            if (state := self._sides.get(track_id)) is not None
            and state.side != 0
            and state.last is not None
            and state.last[2] < self._config.min_distance
        ]
        for first, second in itertools.combinations(near, 2):
            if first.side == second.side or first.last is None or second.last is None:
                continue
            (point_a, height_a, _), (point_b, height_b, _) = first.last, second.last
            gap = float(np.hypot(*(point_a - point_b))) / ((height_a + height_b) / 2.0)
            if gap <= MEET_RADIUS:
                first.met = second.met = True

    def _forget_lost_tracks(self) -> None:
        for track_id in [t for t in self._sides if self._tracks.get(t) is None]:
            del self._sides[track_id]

    def _line_px(self, width: int, height: int) -> npt.NDArray[np.float64]:
        return to_pixels(self._config.line, self._config.units, width, height)


class _TrackSide:
    """One track's side of the line, and the crossing it may be in the middle of.

    A side is settled only at ``min_distance`` box heights from the line: a track born on the
    line (a new id where two people met) has no side until it walks off, and then has crossed
    nothing.
    """

    def __init__(self) -> None:
        self.side = 0  # the side it has settled on (0: none yet)
        self.origin: npt.NDArray[np.float64] | None = None  # its last point on that side
        self.pending_since_s: float | None = None  # when it stepped across, not yet counted
        # It met a track from the other side on the line since it left its side: the tracker
        # may have swapped the two ids there, so this crossing is not counted.
        self.met = False
        self.last: tuple[npt.NDArray[np.float64], float, float] | None = None  # point, h, dist

    def crossed(
        self,
        side: int,
        *,
        point: npt.NDArray[np.float64],
        distance: float,
        now_s: float,
        line: npt.NDArray[np.float64],
        config: LineCrossingRuleConfig,
    ) -> bool:
        """Feed a point off the dead band; True when this completes a crossing."""
        far_enough = distance + 1e-9 >= config.min_distance
        if self.side == 0 or self.origin is None:
            if far_enough:
                self.side, self.origin = side, point
            return False
        if side == self.side:  # still (or back) on its side: any pending crossing is void
            self.origin, self.pending_since_s = point, None
            self.met = self.met and not far_enough
            return False
        if self.pending_since_s is None:
            if not segments_intersect(self.origin, point, line[0], line[1]):
                # Went round an end of the line: on that side now, without crossing it.
                self.side, self.origin = (side, point) if far_enough else (0, None)
                return False
            self.pending_since_s = now_s
        if not far_enough or now_s - self.pending_since_s + 1e-6 < config.min_time_s:
            return False
        self.side, self.origin, self.pending_since_s = side, point, None
        return True
