"""Sensor types (``configs/sensor_types.yaml``): what a value means and when it is an alarm.

One entry per type: its GB/T 47678.5 category (so its alarms route like camera events), the
plausible range of its values (outside it a reading is quarantined ``out_of_range``), the
threshold with hysteresis and debounce, how often its devices must be heard from, and how
often an open event is refreshed. Validated as a whole (unknown keys are an error), loaded
once at the composition root.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridwatch_central.config import ConfigError
from gridwatch_contract.messages import Identifier, Name
from gridwatch_contract.yaml_config import load_yaml_model

SENSOR_OFFLINE = "sensor_offline"
SENSOR_ONLINE = "sensor_online"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Direction(StrEnum):
    ABOVE = "above"  # alarming when the value rises past ``alarm`` (water, gas, tilt, fill)
    BELOW = "below"  # alarming when it falls past ``alarm`` (hydrant pressure)


class Threshold(_Strict):
    """Alarm past ``alarm`` for ``debounce_s``; clear past ``clear`` for ``clear_debounce_s``.

    The band between ``alarm`` and ``clear`` is the hysteresis: a value wobbling around the
    alarm level neither opens nor ends an event at every reading (flapping).
    """

    direction: Direction = Direction.ABOVE
    alarm: float
    clear: float
    debounce_s: float = Field(default=0, ge=0, le=86400)
    clear_debounce_s: float = Field(default=0, ge=0, le=86400)

    @model_validator(mode="after")
    def _clear_on_the_safe_side(self) -> Self:
        safe = (
            self.clear < self.alarm
            if self.direction is Direction.ABOVE
            else self.clear > self.alarm
        )
        if not safe:
            side = "below" if self.direction is Direction.ABOVE else "above"
            raise ValueError(f"clear ({self.clear}) must lie {side} alarm ({self.alarm})")
        return self

    def past_alarm(self, value: float) -> bool:
        return value >= self.alarm if self.direction is Direction.ABOVE else value <= self.alarm

    def past_clear(self, value: float) -> bool:
        return value <= self.clear if self.direction is Direction.ABOVE else value >= self.clear


class ValueRange(_Strict):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max <= self.min:
            raise ValueError("range max must exceed min")
        return self

    def holds(self, value: float) -> bool:
        return self.min <= value <= self.max


class SensorType(_Strict):
    name: Name = Field(description="What people call it, e.g. 可燃气体")
    unit: Name | None = None
    category: str = Field(pattern=r"^\d{5}$", description="GB/T 47678.5 category code")
    range: ValueRange
    threshold: Threshold | None = Field(
        default=None, description="None: only the device's own alarms open events"
    )
    heartbeat_interval_s: float = Field(default=300, gt=0, le=7 * 86400)
    # An open event gets an ``update`` alert at most this often while values keep coming.
    update_interval_s: float = Field(default=60, gt=0)
    # A reading is kept as a sample at most this often per sensor (every state change is kept).
    sample_interval_s: float = Field(default=60, ge=0)


class SensorTypesConfig(_Strict):
    types: dict[Identifier, SensorType] = Field(min_length=1)
    # The category of sensor_offline/sensor_online alerts; without a routing policy they are
    # stored (and counted) but never become incidents, like camera_offline.
    offline_category: str = Field(default="90010", pattern=r"^\d{5}$")
    # A sensor is offline after this many heartbeat intervals without any record.
    missed_heartbeats: float = Field(default=2.5, ge=1)
    # A record dated further than this ahead of central's clock is quarantined clock_ahead: a
    # device clock that wrong would also hold its debounce and ordering hostage.
    max_clock_ahead_s: float = Field(default=300, ge=0)
    # How often each central process looks for sensors gone silent.
    watchdog_interval_s: float = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _reserved_names(self) -> Self:
        reserved = {SENSOR_OFFLINE, SENSOR_ONLINE} & set(self.types)
        if reserved:
            raise ValueError(f"type names reserved for heartbeat alerts: {sorted(reserved)}")
        return self

    def categories(self) -> set[str]:
        return {kind.category for kind in self.types.values()} | {self.offline_category}


def load_sensor_types(path: Path | str) -> SensorTypesConfig:
    """Read and validate a sensor types file; ``ConfigError`` names file, key and problem."""
    return load_yaml_model(SensorTypesConfig, path, what="sensor types", error=ConfigError)
