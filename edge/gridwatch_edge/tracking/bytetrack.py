"""ByteTrack-style multi-object tracking (Zhang et al., 2022) over the typed ``Detections``.

Each frame: predict every track, match confident detections to tracks by IoU, then give the
still unmatched tracks a second chance with the low-score detections (occluded or blurred
objects the detector is unsure of), and start tentative tracks from unmatched confident ones.
A track gets a public ``tracker_id`` after ``min_hits`` sightings and is forgotten after
``max_misses`` analysed frames without one. Only detections of the same class are associated.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from gridwatch_edge.config import TrackerConfig
from gridwatch_edge.detections import UNTRACKED, Detections
from gridwatch_edge.tracking.geometry import iou_matrix
from gridwatch_edge.tracking.track import Track, TrackState

# Assignment cost of an impossible pair (another class, or IoU below the threshold): larger
# than any real cost (1 - IoU <= 1), so the solver picks it only when nothing else is left,
# and such picks are then discarded.
FORBIDDEN_COST = 1e6


class ByteTracker:
    """Assigns stable ids; keeps each track's path for the rules (``get``, ``active``)."""

    def __init__(self, config: TrackerConfig) -> None:
        self._config = config
        self._tracks: list[Track] = []
        self._by_id: dict[int, Track] = {}
        self._next_id = 1

    def get(self, tracker_id: int) -> Track | None:
        return self._by_id.get(tracker_id)

    @property
    def active(self) -> list[Track]:
        """Confirmed tracks, including those briefly lost."""
        return list(self._by_id.values())

    def update(self, detections: Detections, media_time_s: float) -> Detections:
        """This frame's detections with ``tracker_id`` set (UNTRACKED while unconfirmed).

        Every input detection comes back in the same order: rules that only count objects
        (crowd) see exactly what the detector saw.
        """
        for track in self._tracks:
            track.predict(media_time_s)
        high = detections.confidence >= self._config.high_score
        unmatched = list(range(len(self._tracks)))
        owner: dict[int, Track] = {}
        for mask, min_iou in (
            (high, self._config.match_iou),
            (~high, self._config.low_score_match_iou),
        ):
            pairs = self._associate(detections, np.flatnonzero(mask), unmatched, min_iou)
            for track_index, detection_index in pairs:
                track = self._tracks[track_index]
                score = float(detections.confidence[detection_index])
                track.hit(detections.xyxy[detection_index], score, media_time_s)
                owner[detection_index] = track
            matched = {track_index for track_index, _ in pairs}
            unmatched = [index for index in unmatched if index not in matched]
        for index in unmatched:
            self._tracks[index].miss()
        self._forget()
        self._start_tracks(detections, high, owner, media_time_s)
        self._promote()
        ids = np.full(len(detections), UNTRACKED, dtype=np.int64)
        for detection_index, track in owner.items():
            ids[detection_index] = track.track_id
        return Detections(
            xyxy=detections.xyxy,
            confidence=detections.confidence,
            class_id=detections.class_id,
            tracker_id=ids,
        )

    def _associate(
        self,
        detections: Detections,
        candidates: npt.NDArray[np.intp],
        track_indices: list[int],
        min_iou: float,
    ) -> list[tuple[int, int]]:
        """Optimal (track index, detection index) pairs of one class with IoU >= ``min_iou``."""
        if len(candidates) == 0 or not track_indices:
            return []
        tracks = [self._tracks[index] for index in track_indices]
        boxes = detections.xyxy[candidates]
        iou = iou_matrix(np.stack([track.box for track in tracks]), boxes)
        # A lost track may also be recovered where it was last seen (the observation-centric
        # recovery of OC-SORT): an occluder that cut its box gave it a velocity it never had,
        # and a parked car or a left bag reappears exactly where it was.
        lost = np.array([track.state is TrackState.LOST for track in tracks])
        if lost.any():
            observed = iou_matrix(np.stack([track.observed_box for track in tracks]), boxes)
            iou = np.where(lost[:, None], np.maximum(iou, observed), iou)
        same_class = (
            np.array([track.class_id for track in tracks])[:, None]
            == (detections.class_id[candidates][None, :])
        )
        allowed = same_class & (iou >= min_iou)
        cost = np.where(allowed, 1.0 - iou, FORBIDDEN_COST)
        rows, columns = linear_sum_assignment(cost)
        return [
            (track_indices[row], int(candidates[column]))
            for row, column in zip(rows.tolist(), columns.tolist(), strict=True)
            if allowed[row, column]
        ]

    def _forget(self) -> None:
        kept: list[Track] = []
        for track in self._tracks:
            if track.misses == 0:
                kept.append(track)
            elif track.state is TrackState.TENTATIVE:
                continue  # a tentative track that misses once was noise (as in ByteTrack)
            elif track.misses > self._config.max_misses:
                del self._by_id[track.track_id]
            else:
                track.state = TrackState.LOST
                kept.append(track)
        self._tracks = kept

    def _promote(self) -> None:
        for track in self._tracks:
            if track.misses > 0:
                continue
            if track.state is TrackState.TENTATIVE and track.hits < self._config.min_hits:
                continue
            if track.track_id == UNTRACKED:
                track.track_id = self._next_id
                self._next_id += 1
                self._by_id[track.track_id] = track
            track.state = TrackState.CONFIRMED

    def _start_tracks(
        self,
        detections: Detections,
        high: npt.NDArray[np.bool_],
        owner: dict[int, Track],
        media_time_s: float,
    ) -> None:
        # Only confident detections start tracks: low-score ones are too often clutter.
        for index in np.flatnonzero(high).tolist():
            if index in owner:
                continue
            track = Track(
                detections.xyxy[index],
                int(detections.class_id[index]),
                float(detections.confidence[index]),
                media_time_s,
                history_s=self._config.history_s,
                stationary_fraction=self._config.stationary_fraction,
            )
            self._tracks.append(track)
            owner[index] = track
