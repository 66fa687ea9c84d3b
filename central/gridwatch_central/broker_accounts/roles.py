"""Who may do what on the broker: account names and Mosquitto dynamic-security roles.

Every rule is derived from the contract's ``Topics``, so a deployment with its own topic
prefix gets rules for that prefix. The plugin's default for anything not listed is *deny*
(``DEFAULT_ACL_ACCESS``), so each role lists everything its holder needs and nothing else:

- an edge publishes only its own alerts, status, stats, clips and responses, and subscribes
  to (and receives) only its own acks, clip acks, config and requests: it can neither forge
  an ack, a clip ack, a config or a request for anyone nor publish (or answer) under another
  edge's id;
- central subscribes to every alert and clip (shared subscriptions too), status, stats and
  response, and is the only account that publishes acks, clip acks, configs and requests;
- a sensor gateway publishes only its own sensor batches and receives only its own receipts;
  central checks each record's sensor against the registry (``wrong_gateway`` otherwise);
- the admin account talks only to the plugin's control topic (accounts, roles), reads no data.

Mosquitto 2.0.11's plugin does not substitute ``%u``/``%c`` in role topics (checked against
the real broker: a role with ``.../alerts/%u/#`` let no edge publish anything), so each edge
gets a role of its own naming its id literally. It also checks a shared subscription against
the full ``$share/<group>/...`` filter, so central's role lists that form as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridwatch_contract.topics import Topics, validate_id

# The plugin's request topic (and, below it, its response topic).
CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
ADMIN_ROLE = "broker-admin"
DEFAULT_ADMIN_USERNAME = "admin"
DEFAULT_CENTRAL_USERNAME = "central"
# Edge accounts are named ``edge.<edge_id>``: the kind in front keeps them apart from central,
# the admin and (later) sensor gateways whatever ids an operator picks.
EDGE_USERNAME_PREFIX = "edge."
GATEWAY_USERNAME_PREFIX = "gateway."


class AclType(StrEnum):
    PUBLISH_SEND = "publishClientSend"
    PUBLISH_RECEIVE = "publishClientReceive"
    SUBSCRIBE_LITERAL = "subscribeLiteral"
    SUBSCRIBE_PATTERN = "subscribePattern"
    UNSUBSCRIBE_PATTERN = "unsubscribePattern"


# What the plugin decides when no role says anything: deny publishing, receiving and
# subscribing. Unsubscribing is harmless and stays allowed.
DEFAULT_ACL_ACCESS: dict[str, bool] = {
    "publishClientSend": False,
    "publishClientReceive": False,
    "subscribe": False,
    "unsubscribe": True,
}


@dataclass(frozen=True, slots=True)
class Acl:
    type: AclType
    topic: str
    allow: bool = True

    def document(self) -> dict[str, object]:
        """The plugin's JSON form (config file and control commands alike)."""
        return {"acltype": self.type.value, "topic": self.topic, "allow": self.allow}


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    acls: tuple[Acl, ...]

    def document(self) -> dict[str, object]:
        return {"rolename": self.name, "acls": [acl.document() for acl in self.acls]}


def _send(*topics: str) -> tuple[Acl, ...]:
    return tuple(Acl(AclType.PUBLISH_SEND, topic) for topic in topics)


def _read(subscribe: AclType, *topics: str) -> tuple[Acl, ...]:
    """Subscribing to ``topics`` and receiving what is published there."""
    return tuple(
        acl
        for topic in topics
        for acl in (Acl(subscribe, topic), Acl(AclType.PUBLISH_RECEIVE, topic))
    )


def admin_role() -> Role:
    control = f"{CONTROL_TOPIC}/#"
    return Role(
        ADMIN_ROLE,
        (
            Acl(AclType.PUBLISH_SEND, control),
            *_read(AclType.SUBSCRIBE_PATTERN, control),
            # Broker statistics for monitoring; no application data.
            *_read(AclType.SUBSCRIBE_PATTERN, "$SYS/#"),
        ),
    )


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """Account and role names plus role contents for one deployment (one topic prefix)."""

    topics: Topics
    central_username: str = DEFAULT_CENTRAL_USERNAME

    @property
    def _role_prefix(self) -> str:
        # Role names carry the topic prefix so that two deployments on one broker keep theirs.
        return self.topics.prefix.replace("/", "_")

    @staticmethod
    def edge_username(edge_id: str) -> str:
        return f"{EDGE_USERNAME_PREFIX}{validate_id(edge_id, 'edge_id')}"

    @staticmethod
    def gateway_username(gateway_id: str) -> str:
        return f"{GATEWAY_USERNAME_PREFIX}{validate_id(gateway_id, 'gateway_id')}"

    def gateway_role_name(self, gateway_id: str) -> str:
        return f"{self._role_prefix}.gateway.{validate_id(gateway_id, 'gateway_id')}"

    def gateway_role(self, gateway_id: str) -> Role:
        topics = self.topics
        return Role(
            self.gateway_role_name(gateway_id),
            (
                *_send(topics.sensor_batches(gateway_id)),
                *_read(AclType.SUBSCRIBE_LITERAL, topics.gateway_acks(gateway_id)),
            ),
        )

    def edge_role_name(self, edge_id: str) -> str:
        return f"{self._role_prefix}.edge.{validate_id(edge_id, 'edge_id')}"

    @property
    def central_role_name(self) -> str:
        return f"{self._role_prefix}.central"

    def edge_role(self, edge_id: str) -> Role:
        topics = self.topics
        return Role(
            self.edge_role_name(edge_id),
            (
                *_send(
                    topics.edge_alerts(edge_id),
                    topics.edge_status(edge_id),  # also its last will
                    topics.edge_stats(edge_id),
                    topics.edge_clips(edge_id),  # evidence clip chunks and notices
                    topics.edge_responses(edge_id),
                ),
                *_read(
                    AclType.SUBSCRIBE_LITERAL,
                    topics.alert_acks(edge_id),
                    topics.edge_config(edge_id),
                    topics.clip_acks(edge_id),
                    topics.edge_requests(edge_id),
                ),
            ),
        )

    def central_role(self) -> Role:
        topics = self.topics
        alerts, clips = topics.all_alerts(), topics.all_clips()
        return Role(
            self.central_role_name,
            (
                *_read(
                    AclType.SUBSCRIBE_PATTERN,
                    alerts,
                    clips,
                    topics.all_edge_status(),
                    topics.all_edge_stats(),
                    topics.all_edge_responses(),
                    topics.all_sensor_batches(),
                ),
                # Any share group: central's processes split the streams through one.
                Acl(AclType.SUBSCRIBE_PATTERN, f"$share/+/{alerts}"),
                Acl(AclType.SUBSCRIBE_PATTERN, f"$share/+/{clips}"),
                Acl(AclType.SUBSCRIBE_PATTERN, f"$share/+/{topics.all_sensor_batches()}"),
                *_send(
                    topics.all_alert_acks(),
                    topics.all_edge_configs(),
                    topics.all_edge_requests(),
                    topics.all_clip_acks(),
                    topics.all_gateway_acks(),
                ),
            ),
        )
