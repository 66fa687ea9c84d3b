"""Encoding and decoding of contract messages with errors a human can act on.

``decode_message`` checks the envelope (size, JSON, object, version) before the full model, so
that an old or future sender is told "unsupported schema_version" rather than a list of field
errors. Every failure is a ``ContractError`` carrying a short machine ``code`` for metrics and a
``reason`` for logs and the quarantine table.

A payload is plain JSON or framed (a JSON header, a NUL byte, raw snapshot bytes: see
``gridwatch_contract.framing``); ``decode_message`` reads both. The edge sends alerts and
its responses to central's requests framed (``encode_framed``); every other message is plain
JSON (``encode_message``).
"""

from __future__ import annotations

import json
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from gridwatch_contract.framing import (
    BAD_ATTACHMENT,
    FRAME_SEPARATOR,
    AttachmentReader,
    AttachmentWriter,
)
from gridwatch_contract.messages import SCHEMA_VERSION, AlertMessage

MessageT = TypeVar("MessageT", bound=BaseModel)

# Above every inline snapshot we allow (4 MiB raw is ~5.4 MiB of base64) plus the alert body;
# the framed form carries the same snapshots in less.
DEFAULT_MAX_PAYLOAD_BYTES: Final = 6 * 1024 * 1024

# How ``encode_message`` starts every message of this version (compact JSON, version first).
_VERSION_LEAD_TEXT: Final = f'{{"schema_version":{SCHEMA_VERSION},'
_VERSION_LEAD: Final = _VERSION_LEAD_TEXT.encode()

ERROR_CODES: Final = (
    "too_large",
    "malformed_json",
    "too_deep",
    "not_an_object",
    "missing_version",
    "unsupported_version",
    "unknown_field",
    "invalid",
    BAD_ATTACHMENT,
)


class ContractError(ValueError):
    """A payload that is not a valid message of this contract version."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def encode_message(message: BaseModel) -> bytes:
    return message.model_dump_json(exclude_none=False).encode("utf-8")


def encode_alert(alert: AlertMessage) -> bytes:
    return encode_framed(alert)


def encode_framed(message: BaseModel) -> bytes:
    """The framed form: ``encode_message``'s JSON with snapshot bytes raw after a NUL.

    Without snapshot bytes there is nothing to attach, and the plain JSON is sent as it is.
    """
    attachments = AttachmentWriter()
    header = message.model_dump_json(exclude_none=False, context=attachments).encode("utf-8")
    return header if attachments.empty else attachments.frame(header)


def decode_message(
    model: type[MessageT],
    payload: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
) -> MessageT:
    """Parse ``payload`` (plain JSON or framed) as ``model`` or raise ``ContractError``."""
    if len(payload) > max_bytes:
        raise ContractError("too_large", f"payload of {len(payload)} bytes exceeds {max_bytes}")
    if isinstance(payload, bytes) and (separator := payload.find(FRAME_SEPARATOR)) >= 0:
        return _decode_framed(model, payload, payload[:separator])
    if _leads_with_version(payload):
        try:
            # Fast path: pydantic parses the JSON itself (in Rust, base64 included), about
            # twice as fast as json.loads + model_validate for an alert with an inline snapshot.
            # Not strict: Snapshot's framing validator hands its fields on as Python values,
            # and strict validation refuses base64 text for bytes there. Lax JSON accepts what
            # the lax path below accepts, with the same values (and that path runs anyway
            # whenever a strict one fails).
            return model.model_validate_json(payload)
        except ValidationError:
            pass  # the path below tells the sender precisely what is wrong
    return _validate_document(model, _parse_json_object(payload), None)


def _decode_framed(model: type[MessageT], payload: bytes, header: bytes) -> MessageT:
    """A framed payload: the header validated with its attachments as the context."""
    if _leads_with_version(header):
        attachments = _attachments(payload, header)
        try:
            # Strict: the header holds no base64, so the fast path is strict as before.
            message = model.model_validate_json(header, strict=True, context=attachments)
        except ValidationError:
            pass  # the path below tells the sender precisely what is wrong
        else:
            return _all_claimed(message, attachments)
    attachments = _attachments(payload, header)
    message = _validate_document(model, _parse_json_object(header), attachments)
    return _all_claimed(message, attachments)


def _attachments(payload: bytes, header: bytes) -> AttachmentReader:
    # A fresh reader per attempt: a failed one may have handed out attachments already.
    return AttachmentReader(payload, len(header) + 1)


def _all_claimed(message: MessageT, attachments: AttachmentReader) -> MessageT:
    unclaimed = attachments.unclaimed_bytes()
    if unclaimed:
        raise ContractError(BAD_ATTACHMENT, f"{unclaimed} bytes after the header are no attachment")
    return message


def _validate_document(
    model: type[MessageT], document: dict[str, Any], attachments: AttachmentReader | None
) -> MessageT:
    _check_version(document)
    try:
        return model.model_validate(document, context=attachments)
    except ValidationError as error:
        raise _explain(model, error) from None


def decode_alert(
    payload: bytes | str, *, max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
) -> AlertMessage:
    return decode_message(AlertMessage, payload, max_bytes=max_bytes)


def _leads_with_version(payload: bytes | str) -> bool:
    """The payload starts as ``encode_message`` writes a current message: version first.

    Only then is the fast path taken: a model's own validation would accept ``true`` for the
    version 1 (and a default for a missing one), which the checks below reject.
    """
    if isinstance(payload, bytes):
        return payload.startswith(_VERSION_LEAD)
    return payload.startswith(_VERSION_LEAD_TEXT)


def _parse_json_object(payload: bytes | str) -> dict[str, Any]:
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContractError("malformed_json", f"not valid UTF-8 JSON: {error}") from None
    except RecursionError:
        # Thousands of nested brackets: no message of the contract nests more than a few levels.
        raise ContractError("too_deep", "JSON nested deeper than any contract message") from None
    if not isinstance(document, dict):
        raise ContractError(
            "not_an_object", f"expected a JSON object, got {type(document).__name__}"
        )
    return document


def _check_version(document: dict[str, Any]) -> None:
    if "schema_version" not in document:
        raise ContractError("missing_version", "field 'schema_version' is required")
    version = document["schema_version"]
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise ContractError(
            "unsupported_version",
            f"schema_version {_shortened(repr(version))} is not supported; this build reads"
            f" {SCHEMA_VERSION}",
        )


def _explain(model: type[BaseModel], error: ValidationError) -> ContractError:
    problems = error.errors(include_url=False, include_input=False)
    broken = [p for p in problems if p["type"] == BAD_ATTACHMENT]
    if broken:
        details = "; ".join(f"{_location(p['loc'])}: {p['msg']}" for p in broken)
        return ContractError(BAD_ATTACHMENT, f"invalid {model.__name__}: {details}")
    unknown = [_location(p["loc"]) for p in problems if p["type"] == "extra_forbidden"]
    if unknown:
        more = f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else ""
        return ContractError(
            "unknown_field", f"{model.__name__} has no field(s): {', '.join(unknown[:5])}{more}"
        )
    details = "; ".join(f"{_location(p['loc'])}: {p['msg']}" for p in problems[:5])
    more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
    return ContractError("invalid", f"invalid {model.__name__}: {details}{more}")


def _location(loc: tuple[int | str, ...]) -> str:
    return _shortened(".".join(str(part) for part in loc)) or "(message)"


def _shortened(text: str, limit: int = 64) -> str:
    """Sender-controlled text quoted in a reason, cut so that no reason grows with the payload."""
    return text if len(text) <= limit else f"{text[:limit]}..."
