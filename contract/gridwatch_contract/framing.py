"""The binary-framed form of a message: a JSON header, one NUL byte, then raw attachments.

``{"schema_version":1,...,"snapshot":{...,"attachment":{"offset":0,"length":31245},...}}``
``\\x00`` ``<31245 JPEG bytes>`` ...

A snapshot's ``data`` leaves the JSON and travels as raw bytes after the separator; its place
in the header holds an ``attachment`` reference (offset and length, relative to the first byte
after the separator). Base64 would add a third to every byte the edge, the broker, each
subscriber and central handle, and decoding it is most of central's parsing time. Valid JSON
text can never contain a NUL byte (control characters must be escaped inside strings), so the
first NUL ends the header unambiguously.

The message models use ``AttachmentWriter`` (serialization) and ``AttachmentReader``
(validation) when they find one as the pydantic context; without one an ``attachment`` key is
an unknown field, as any other.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

FRAME_SEPARATOR: Final = b"\x00"
BAD_ATTACHMENT: Final = "bad_attachment"
"""The validation error type (and the ``ContractError`` code) of a broken attachment."""


class AttachmentRef(BaseModel):
    """Where a snapshot's bytes lie after the header's NUL separator."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    offset: int = Field(ge=0, description="First byte, counted from the byte after the NUL.")
    length: int = Field(ge=0, description="Number of bytes.")


class AttachmentWriter:
    """Collects the attachments of one message as it is serialized, back to back."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, data: bytes) -> dict[str, int]:
        """Append ``data``; the reference that replaces it in the header."""
        reference = {"offset": self._size, "length": len(data)}
        self._parts.append(data)
        self._size += len(data)
        return reference

    @property
    def empty(self) -> bool:
        return not self._parts

    def frame(self, header: bytes) -> bytes:
        return b"".join([header, FRAME_SEPARATOR, *self._parts])


class AttachmentReader:
    """The attachments of one framed payload, handed out once each to the snapshots.

    Every byte after the separator must belong to exactly one attachment: overlapping
    references and unclaimed bytes are errors, so that nothing rides along unvalidated.
    """

    def __init__(self, payload: bytes, start: int) -> None:
        """Attachments are ``payload[start:]``, the bytes after the separator."""
        self._payload = payload
        self._start = start
        self._size = len(payload) - start
        self._claimed: list[tuple[int, int]] = []

    def take(self, reference: Any) -> bytes:
        """The bytes ``reference`` points at; raises a ``bad_attachment`` validation error."""
        try:
            ref = AttachmentRef.model_validate(reference)
        except ValueError:
            raise _bad(
                "an attachment is an object of integers offset >= 0 and length >= 0"
            ) from None
        end = ref.offset + ref.length
        if end > self._size:
            raise _bad(f"attachment {ref.offset}+{ref.length} exceeds the {self._size} bytes sent")
        if ref.length and any(ref.offset < e and s < end for s, e in self._claimed):
            raise _bad(f"attachment {ref.offset}+{ref.length} overlaps another attachment")
        self._claimed.append((ref.offset, end))
        return self._payload[self._start + ref.offset : self._start + end]

    def unclaimed_bytes(self) -> int:
        """Bytes after the separator no attachment took (references do not overlap)."""
        return self._size - sum(end - offset for offset, end in self._claimed)


def frame_header(payload: bytes) -> bytes:
    """The JSON part of a payload, framed or not (for best-effort reads of invalid ones)."""
    return payload.partition(FRAME_SEPARATOR)[0]


def _bad(reason: str) -> PydanticCustomError:
    return PydanticCustomError(BAD_ATTACHMENT, reason)
