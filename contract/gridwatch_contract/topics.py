"""Every MQTT topic of the system, built in one place.

Layout (``{prefix}`` is configurable, default ``gridwatch``; ``v1`` is the contract version)::

    {prefix}/v1/edges/{edge_id}/status        retained online/offline (last will)
    {prefix}/v1/edges/{edge_id}/stats         periodic edge statistics
    {prefix}/v1/edges/{edge_id}/config        retained per-edge configuration (central → edge)
    {prefix}/v1/edges/{edge_id}/acks          application-level alert acks (central → edge)
    {prefix}/v1/edges/{edge_id}/clip_acks     clip upload receipts (central → edge)
    {prefix}/v1/edges/{edge_id}/requests      requests, e.g. a live snapshot (central → edge)
    {prefix}/v1/edges/{edge_id}/responses     answers to those requests (edge → central)
    {prefix}/v1/alerts/{edge_id}/{camera_id}/{event_type}   alerts (edge → central)
    {prefix}/v1/sensors/{gateway_id}          sensor record batches (gateway → central)
    {prefix}/v1/gateways/{gateway_id}/acks    receipts of those batches (central → gateway)
    {prefix}/v1/clips/{edge_id}/{camera_id}/data            evidence clip chunks (edge → central)
    {prefix}/v1/clips/{edge_id}/{camera_id}/unavailable     a clip that will never come

Every topic an edge publishes on names its ``edge_id`` as the level after the kind
(``alerts``, ``clips``, ``edges``), so a broker ACL can bind each edge's login to its own
topics (Mosquitto: ``pattern write gridwatch/v1/clips/%u/#``).

The event type is the last level so that a consumer can subscribe to one kind of alert only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTRACT_VERSION = "v1"

# An id is used as one topic level: it must not contain the MQTT separators or wildcards,
# and we keep it to a conservative character set so it is also safe in file names and URLs.
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
# The same rule as a JSON-schema pattern, for models that publish it (OpenAPI).
ID_PATTERN = _ID_PATTERN.pattern


def validate_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a valid edge/camera/zone id, else raise ``ValueError``."""
    if not _ID_PATTERN.match(value):
        raise ValueError(
            f"invalid {what} {value!r}: use 1-64 characters of letters, digits, '_', '-' or '.',"
            " starting with a letter or digit"
        )
    return value


@dataclass(frozen=True, slots=True)
class AlertTopic:
    """The ids an alert topic names, as they stand in the topic (not validated)."""

    edge_id: str
    camera_id: str
    event_type: str


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic builder bound to one prefix (for instance one deployment or tenant)."""

    prefix: str = "gridwatch"

    def __post_init__(self) -> None:
        levels = self.prefix.split("/")
        if not self.prefix or any(not level or level in {"+", "#"} for level in levels):
            raise ValueError(f"invalid MQTT topic prefix {self.prefix!r}")
        if self.prefix.startswith("$"):
            raise ValueError(f"topic prefix {self.prefix!r} must not start with '$'")

    @property
    def root(self) -> str:
        return f"{self.prefix}/{CONTRACT_VERSION}"

    def alert(self, edge_id: str, camera_id: str, event_type: str) -> str:
        return f"{self.root}/alerts/{validate_id(edge_id, 'edge_id')}/" + (
            f"{validate_id(camera_id, 'camera_id')}/{validate_id(event_type, 'event_type')}"
        )

    def all_alerts(self) -> str:
        return f"{self.root}/alerts/+/+/+"

    def edge_alerts(self, edge_id: str) -> str:
        """Every alert of one edge (any camera, any event type)."""
        return f"{self.root}/alerts/{validate_id(edge_id, 'edge_id')}/+/+"

    def parse_alert(self, topic: str) -> AlertTopic | None:
        """The ids of ``{root}/alerts/{edge_id}/{camera_id}/{event_type}``; None for another
        topic. The broker's ACL lets an edge publish under its own id only, so these are the
        ids a receiver can trust, and a payload naming others is refused."""
        levels = topic.removeprefix(f"{self.root}/").split("/")
        if not topic.startswith(f"{self.root}/") or len(levels) != 4 or levels[0] != "alerts":
            return None
        return AlertTopic(levels[1], levels[2], levels[3])

    def edge_status(self, edge_id: str) -> str:
        return f"{self.root}/edges/{validate_id(edge_id, 'edge_id')}/status"

    def all_edge_status(self) -> str:
        return f"{self.root}/edges/+/status"

    def edge_stats(self, edge_id: str) -> str:
        return f"{self.root}/edges/{validate_id(edge_id, 'edge_id')}/stats"

    def all_edge_stats(self) -> str:
        return f"{self.root}/edges/+/stats"

    def edge_config(self, edge_id: str) -> str:
        return f"{self.root}/edges/{validate_id(edge_id, 'edge_id')}/config"

    def all_edge_configs(self) -> str:
        return f"{self.root}/edges/+/config"

    def alert_acks(self, edge_id: str) -> str:
        return f"{self.root}/edges/{validate_id(edge_id, 'edge_id')}/acks"

    def all_alert_acks(self) -> str:
        return f"{self.root}/edges/+/acks"

    def clip_data(self, edge_id: str, camera_id: str) -> str:
        return f"{self._clips(edge_id, camera_id)}/data"

    def clip_unavailable(self, edge_id: str, camera_id: str) -> str:
        return f"{self._clips(edge_id, camera_id)}/unavailable"

    def all_clips(self) -> str:
        return f"{self.root}/clips/+/+/+"

    def edge_clips(self, edge_id: str) -> str:
        """Every clip message of one edge (any camera, data or notice)."""
        return f"{self.root}/clips/{validate_id(edge_id, 'edge_id')}/+/+"

    def clip_acks(self, edge_id: str) -> str:
        return f"{self.root}/edges/{validate_id(edge_id, 'edge_id')}/clip_acks"

    def all_clip_acks(self) -> str:
        return f"{self.root}/edges/+/clip_acks"

    def _clips(self, edge_id: str, camera_id: str) -> str:
        return (
            f"{self.root}/clips/{validate_id(edge_id, 'edge_id')}/"
            f"{validate_id(camera_id, 'camera_id')}"
        )

    def edge_requests(self, edge_id: str) -> str:
        return f"{self.root}/edges/{validate_id(edge_id, 'edge_id')}/requests"

    def all_edge_requests(self) -> str:
        return f"{self.root}/edges/+/requests"

    def edge_responses(self, edge_id: str) -> str:
        return f"{self.root}/edges/{validate_id(edge_id, 'edge_id')}/responses"

    def all_edge_responses(self) -> str:
        return f"{self.root}/edges/+/responses"

    def sensor_batches(self, gateway_id: str) -> str:
        """Where one gateway publishes its sensors' batches (``SensorBatch``)."""
        return f"{self.root}/sensors/{validate_id(gateway_id, 'gateway_id')}"

    def all_sensor_batches(self) -> str:
        return f"{self.root}/sensors/+"

    def parse_sensor_batches(self, topic: str) -> str | None:
        """The gateway id (as it stands, not validated) of a batch topic; None for another
        topic. The broker lets a gateway publish under its own id only."""
        levels = topic.removeprefix(f"{self.root}/").split("/")
        if not topic.startswith(f"{self.root}/") or len(levels) != 2 or levels[0] != "sensors":
            return None
        return levels[1]

    def gateway_acks(self, gateway_id: str) -> str:
        return f"{self.root}/gateways/{validate_id(gateway_id, 'gateway_id')}/acks"

    def all_gateway_acks(self) -> str:
        return f"{self.root}/gateways/+/acks"

    @staticmethod
    def shared(group: str, topic_filter: str) -> str:
        """An MQTT 5 shared subscription, so that several consumers split one stream."""
        return f"$share/{validate_id(group, 'share group')}/{topic_filter}"
