"""Sensor contract v1: what a sensor gateway sends central, and central's receipts.

A gateway (LoRa/NB-IoT concentrator, a vendor platform's bridge) forwards its sensors' records
in batches: one ``SensorBatch`` is one MQTT message on ``Topics.sensor_batches(gateway_id)``
or one ``POST /api/v1/sensors/batches``. ``message_id`` is the idempotency key: a batch sent
again (broker redelivery, a gateway retrying after a lost receipt) is stored once. Central
answers every batch with a ``SensorReceipt`` (in a ``SensorAck`` on
``Topics.gateway_acks(gateway_id)``, or in the HTTP response); a gateway keeps a batch until
its receipt arrives.

Records are small and typed by ``kind``: a ``reading`` (a measured value), an ``alarm`` the
device raised itself (a tilt switch, a smoke chamber), its ``clearance``, and a ``heartbeat``
(the device is alive). What a value means and which values are alarming is central's business
(``configs/sensor_types.yaml``); the contract only bounds what every receiver can store.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from gridwatch_contract.messages import (
    Count,
    Identifier,
    Name,
    Reason,
    Timestamp,
    _Message,
    _VersionedMessage,
)

# Records per batch. A gateway of a few hundred sensors forwards a second's uplinks in one
# message; 500 small records are ~60 KB, far below any broker's packet limit, and bound the
# work one message can cause central.
MAX_SENSOR_RECORDS: Final = 500
# Receipts per ack message (one per batch; a stored batch of batches fits easily).
MAX_SENSOR_RECEIPTS: Final = 1000
# A physical reading beyond a billion in any unit (mm, %LEL, kPa, degrees) is a broken device
# or a unit error; the bound keeps every value exact in a double and in JSON.
MAX_ABS_VALUE: Final = 1e9
# The largest batch message central accepts: 500 records at ~250 bytes with room for spacing.
MAX_SENSOR_PAYLOAD_BYTES: Final = 256 * 1024


class SensorRecordKind(StrEnum):
    READING = "reading"  # a measured value (water level in mm, gas in %LEL, tilt in degrees)
    ALARM = "alarm"  # the device itself raised an alarm
    CLEARANCE = "clearance"  # the device says its alarm is over
    HEARTBEAT = "heartbeat"  # the device is alive (also implied by every other record)


class SensorRecord(_Message):
    """One thing one sensor reported at one moment (the device's clock)."""

    sensor_id: Identifier
    sensor_type: Identifier = Field(
        description="The type the gateway knows the sensor as; central checks its registry."
    )
    kind: SensorRecordKind
    observed_at: Timestamp = Field(description="When the device measured or alarmed.")
    value: float | None = Field(
        default=None,
        ge=-MAX_ABS_VALUE,
        le=MAX_ABS_VALUE,
        description="The measurement, in the unit of the type; required for a reading.",
    )
    code: Name | None = Field(
        default=None, description="The device's own alarm code (e.g. 'tilt', 'smoke')."
    )
    battery_pct: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _reading_has_value(self) -> Self:
        if self.kind is SensorRecordKind.READING and self.value is None:
            raise ValueError("a reading carries a value")
        return self


class SensorBatch(_VersionedMessage):
    """One gateway's records, sent as one message; stored once per ``message_id``."""

    message_id: UUID = Field(description="Unique per batch; the idempotency key end to end.")
    gateway_id: Identifier = Field(description="The sending gateway; the topic names it too.")
    sent_at: Timestamp
    records: list[SensorRecord] = Field(min_length=1, max_length=MAX_SENSOR_RECORDS)


class SensorReceipt(_Message):
    """What became of one batch. ``stored`` may still have refused some of its records (each
    quarantined with its reason): ``rejected_records`` counts them, ``reason`` names the first."""

    message_id: UUID
    status: Literal["stored", "duplicate", "rejected"]
    rejected_records: Count = 0
    reason: Reason | None = None


class SensorAck(_VersionedMessage):
    """Central's receipts for one gateway, sent after the commit (one message per stored
    batch of batches)."""

    receipts: list[SensorReceipt] = Field(min_length=1, max_length=MAX_SENSOR_RECEIPTS)
