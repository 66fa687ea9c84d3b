"""The rule protocol and the construction of a camera's rules from its config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gridwatch_edge.config import CameraConfig, CrowdRuleConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.rules.crowd import CrowdRule
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Zone


class Rule(Protocol):
    @property
    def rule_id(self) -> str: ...

    @property
    def zone(self) -> Zone: ...

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        """Feed one analysed frame; return the events this frame starts, updates or ends."""
        ...


def build_rules(camera: CameraConfig, class_names: Sequence[str]) -> list[Rule]:
    zones = {zone.id: Zone(zone) for zone in camera.zones}
    rules: list[Rule] = []
    for config in camera.rules:
        if isinstance(config, CrowdRuleConfig):
            rules.append(CrowdRule(config, zones[config.zone], class_names))
    return rules
