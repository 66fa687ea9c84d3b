"""A refused message as it is quarantined: a bounded prefix of its bytes, its size, its hash.

A broker delivers messages of up to 256 MiB; keeping them whole made 64 MiB rows. The prefix
(64 KiB) holds the JSON header of any alert, which is what tells an operator what was wrong;
the size and the sha256 identify the whole message in the sender's logs.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from gridwatch_central.ingest.failures import clean_text
from gridwatch_contract.framing import frame_header

# Of every quarantined message. A framed alert's JSON header is ~1.3 KB, 60 KB with the
# contract's 500 objects; a bigger prefix only stores image bytes nobody reads.
QUARANTINE_PREFIX_BYTES = 64 * 1024
# The column's width (quarantined_messages.topic); a topic level has no length limit in MQTT.
MAX_TOPIC_CHARS = 512
# A header larger than this is not parsed for its alert_id (a 256 MiB JSON would take seconds);
# the prefix is searched instead.
MAX_PARSED_HEADER_BYTES = 1024 * 1024
# Reasons of contract errors list up to five problems with their paths; this keeps them whole.
MAX_REASON_CHARS = 2000
# How encode_message writes an alert_id (any JSON spacing), for payloads that do not parse.
_ALERT_ID = re.compile(rb'"alert_id"\s*:\s*"([0-9A-Fa-f-]{32,36})"')


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message ingest refuses, ready for ``quarantined_messages``."""

    topic: str
    received_at: datetime
    code: str
    reason: str
    kept: bytes  # the first QUARANTINE_PREFIX_BYTES of the payload (or of its JSON header)
    size: int  # of the whole payload as received
    sha256: str | None  # of the whole payload, when ingest still had it
    alert_id: uuid.UUID | None  # when readable, so that its sender is told

    @classmethod
    def of_payload(
        cls, topic: str, payload: bytes, received_at: datetime, code: str, reason: str
    ) -> Rejected:
        return cls(
            topic=topic,
            received_at=received_at,
            code=code,
            reason=clean_text(reason, MAX_REASON_CHARS),
            kept=payload[:QUARANTINE_PREFIX_BYTES],
            size=len(payload),
            sha256=hashlib.sha256(payload).hexdigest(),
            alert_id=readable_alert_id(payload),
        )

    def row(self) -> dict[str, object]:
        return {
            "topic": clean_text(self.topic, MAX_TOPIC_CHARS),
            "payload": self.kept,
            "payload_size": self.size,
            "payload_sha256": self.sha256,
            "error_code": self.code,
            "reason": self.reason,
            "received_at": self.received_at,
        }


def readable_alert_id(payload: bytes) -> uuid.UUID | None:
    """Best effort: the ``alert_id`` of a refused alert, so its sender can stop resending it."""
    header = frame_header(payload)
    if len(header) <= MAX_PARSED_HEADER_BYTES:
        try:
            return uuid.UUID(str(json.loads(header)["alert_id"]))
        except Exception:  # any of the ways a refused payload can be broken
            pass
    found = _ALERT_ID.search(payload[:QUARANTINE_PREFIX_BYTES])
    if found is None:
        return None
    try:
        return uuid.UUID(found.group(1).decode("ascii"))
    except ValueError:
        return None
