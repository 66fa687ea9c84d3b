"""Rules turn per-frame tracked detections into events; one instance per rule and camera."""

from gridwatch_edge.rules.base import Rule, TrackLookup
from gridwatch_edge.rules.crowd import CrowdRule
from gridwatch_edge.rules.factory import build_rules
from gridwatch_edge.rules.left_object import LeftObjectRule
from gridwatch_edge.rules.lifecycle import Lifecycle
from gridwatch_edge.rules.line_crossing import LineCrossingRule
from gridwatch_edge.rules.stationary import StationaryRule

__all__ = [
    "CrowdRule",
    "LeftObjectRule",
    "Lifecycle",
    "LineCrossingRule",
    "Rule",
    "StationaryRule",
    "TrackLookup",
    "build_rules",
]
