"""Which new objects have been left: identity through occlusion, and who brought each one.

Every still candidate (a detector object that stopped, or a changed region of the background)
is matched by *place* to the objects already known, not by tracker id: a bag keeps its
identity while walkers hide part or all of it for up to ``occlusion_s``, and its dwell keeps
running. An object is attributed once, when it appears, to the person it came with (the
person track closest to it around that moment, within ``owner_radius`` person heights);
passers-by never become its owner. It is *left* once its owner has gone (lost by the tracker
or farther than ``owner_radius``) and it has stayed for ``dwell_s`` since; with no owner, since
it appeared. A left object stays left until it is gone for ``occlusion_s``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.rules import LeftObjectRuleConfig
from gridwatch_edge.tracking import Track
from gridwatch_edge.tracking.geometry import intersection_over_smaller

# A candidate lying at least this much inside a known object's box (measured on the smaller
# box: a half-hidden bag is cut down) is that object seen again.
SAME_OBJECT_OVERLAP = 0.5
# The owner is looked for from this long before the object appeared to this long after it:
# the moment it was put down is known only to the analysis interval.
OWNER_AFTER_S = 1.0


@dataclass
class KnownObject:
    key: int
    box: npt.NDArray[np.float64]
    appeared_s: float
    last_seen_s: float
    owner: int | None  # person track id, None when nobody came with it
    owner_near_s: float  # last time its owner stood within owner_radius of it
    left: bool = False

    @property
    def foot(self) -> npt.NDArray[np.float64]:
        return np.array([(self.box[0] + self.box[2]) / 2.0, self.box[3]])

    def unattended_since_s(self) -> float:
        return max(self.appeared_s, self.owner_near_s)


def _area(box: npt.NDArray[np.float64]) -> float:
    return float(max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0))


def _near(point: npt.NDArray[np.float64], x: float, y: float, height: float, radius: float) -> bool:
    return float(np.hypot(point[0] - x, point[1] - y)) <= radius * height


class Ledger:
    def __init__(self, config: LeftObjectRuleConfig) -> None:
        self._config = config
        self._objects: dict[int, KnownObject] = {}
        self._keys = itertools.count(1)

    @property
    def objects(self) -> list[KnownObject]:
        return list(self._objects.values())

    def observe(
        self,
        boxes: npt.NDArray[np.float32],
        appeared_s: Iterable[float],
        now_s: float,
        persons: list[Track],
    ) -> list[int]:
        """Match this frame's still candidates to known objects; new ones are attributed."""
        keys = []
        for box, since_s in zip(boxes.astype(np.float64), appeared_s, strict=True):
            known = self._match(box)
            if known is None:
                known = self._new(box, min(since_s, now_s), persons)
            known.last_seen_s = now_s
            if _area(box) > _area(known.box):
                known.box = box  # the fuller view: a first sighting may be a fragment
            keys.append(known.key)
        return keys

    def update(self, now_s: float, persons: list[Track]) -> list[KnownObject]:
        """Forget objects gone for ``occlusion_s``; return those left (newly or before)."""
        gone = [
            key
            for key, known in self._objects.items()
            if now_s - known.last_seen_s > self._config.occlusion_s
        ]
        for key in gone:
            del self._objects[key]
        by_id = {track.track_id: track for track in persons}
        left = []
        for known in self._objects.values():
            owner = None if known.owner is None else by_id.get(known.owner)
            if owner is not None and owner.path:
                last = owner.path[-1]
                if _near(known.foot, last.x, last.y, last.box_height, self._config.owner_radius):
                    known.owner_near_s = last.media_time_s
            if not known.left:
                known.left = now_s - known.unattended_since_s() + 1e-6 >= self._config.dwell_s
            if known.left:
                left.append(known)
        return left

    def _match(self, box: npt.NDArray[np.float64]) -> KnownObject | None:
        """The known object this sighting shows; several known ones that it joins up (pieces
        of one object seen apart while walkers cut it) become the oldest of them."""
        matches = [
            known
            for known in self._objects.values()
            if intersection_over_smaller(box, known.box) >= SAME_OBJECT_OVERLAP
        ]
        if not matches:
            return None
        oldest = min(matches, key=lambda known: (not known.left, known.appeared_s))
        for other in matches:
            if other is not oldest:
                oldest.left |= other.left
                oldest.last_seen_s = max(oldest.last_seen_s, other.last_seen_s)
                del self._objects[other.key]
        return oldest

    def _new(
        self, box: npt.NDArray[np.float64], appeared_s: float, persons: list[Track]
    ) -> KnownObject:
        known = KnownObject(next(self._keys), box, appeared_s, appeared_s, None, appeared_s)
        known.owner, near_s = self._owner(known, persons)
        if near_s is not None:
            known.owner_near_s = near_s
        self._objects[known.key] = known
        return known

    def _owner(self, known: KnownObject, persons: list[Track]) -> tuple[int | None, float | None]:
        """The person track that came with the object: closest to it (in person heights)
        around the moment it appeared, and the last time that person stood near it."""
        start = known.appeared_s - self._config.owner_lookback_s
        end = known.appeared_s + OWNER_AFTER_S
        foot = known.foot
        best: tuple[float, int, float] | None = None
        for track in persons:
            for point in track.path:
                if not start <= point.media_time_s <= end:
                    continue
                distance = float(np.hypot(foot[0] - point.x, foot[1] - point.y)) / point.box_height
                if distance <= self._config.owner_radius and (best is None or distance < best[0]):
                    best = (distance, track.track_id, point.media_time_s)
        if best is None:
            return None, None
        owner = next(track for track in persons if track.track_id == best[1])
        near = [
            p.media_time_s
            for p in owner.path
            if _near(foot, p.x, p.y, p.box_height, self._config.owner_radius)
        ]
        return owner.track_id, max(near, default=best[2])
