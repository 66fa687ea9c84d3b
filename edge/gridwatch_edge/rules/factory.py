"""Building a camera's rules from its config."""

from __future__ import annotations

from collections.abc import Sequence

from gridwatch_contract.camera.rules import (
    CrowdRuleConfig,
    IllegalParkingRuleConfig,
    LeftObjectRuleConfig,
    LineCrossingRuleConfig,
    RoadBlockageRuleConfig,
)
from gridwatch_edge.config import CameraConfig
from gridwatch_edge.rules.base import Rule, TrackLookup
from gridwatch_edge.rules.crowd import CrowdRule
from gridwatch_edge.rules.dense_count import DetectFn
from gridwatch_edge.rules.left_object import LeftObjectRule
from gridwatch_edge.rules.line_crossing import LineCrossingRule
from gridwatch_edge.rules.stationary import StationaryRule
from gridwatch_edge.zones import Masks, Zone


def build_rules(
    camera: CameraConfig,
    class_names: Sequence[str],
    tracks: TrackLookup,
    detect: DetectFn | None = None,
) -> list[Rule]:
    """The camera's rules, or a ``ConfigError`` when one needs a class the model lacks.

    ``detect`` runs the camera's detector on a crop (crowd rules' dense count); without it
    crowd rules count on the frame-wide pass only."""
    zones = {zone.id: Zone(zone, class_names) for zone in camera.zones}
    motion_masks = Masks(camera.masks.motion)
    rules: list[Rule] = []
    for config in camera.rules:
        match config:
            case CrowdRuleConfig():
                rules.append(CrowdRule(config, zones[config.zone], class_names, detect))
            case RoadBlockageRuleConfig() | IllegalParkingRuleConfig():
                rules.append(StationaryRule(config, zones[config.zone], class_names, tracks))
            case LeftObjectRuleConfig():
                rules.append(
                    LeftObjectRule(config, zones[config.zone], class_names, tracks, motion_masks)
                )
            case LineCrossingRuleConfig():
                zone = None if config.zone is None else zones[config.zone]
                rules.append(LineCrossingRule(config, zone, class_names, tracks))
    return rules
