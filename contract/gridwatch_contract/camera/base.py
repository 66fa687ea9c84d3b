"""What every edge configuration model shares: unknown keys are errors, values are frozen."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from gridwatch_contract.topics import validate_id

Identifier = Annotated[str, AfterValidator(validate_id)]
"""An id that is safe as an MQTT topic level (cameras, zones, rules)."""


class StrictModel(BaseModel):
    """A typo in a config file is an error, never a silently ignored setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)
