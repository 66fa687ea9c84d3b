"""Tracking: stable ids and per-object paths between the detector and the rules."""

from gridwatch_edge.tracking.bytetrack import ByteTracker
from gridwatch_edge.tracking.track import PathPoint, Track, TrackState

__all__ = ["ByteTracker", "PathPoint", "Track", "TrackState"]
