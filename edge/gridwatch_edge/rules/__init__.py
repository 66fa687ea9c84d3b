"""Rules turn per-frame detections into events; one instance per configured rule and camera."""

from gridwatch_edge.rules.base import Rule, build_rules
from gridwatch_edge.rules.crowd import CrowdRule

__all__ = ["CrowdRule", "Rule", "build_rules"]
