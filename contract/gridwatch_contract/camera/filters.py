"""Object filters and masks: which detections count at all, per camera and per zone.

Coordinates of zones, lines and masks are relative to the frame (0..1, the default: they
survive a change of stream resolution) or, with ``units: px``, pixels of the decoded frame
(what a person reads off a screenshot; they must then match the stream's resolution).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Self

from pydantic import Field, model_validator

from gridwatch_contract.camera.base import StrictModel as _Model

Units = Literal["relative", "px"]
Point = tuple[float, float]


def check_points(points: Sequence[Point], units: Units, what: str) -> None:
    """``ValueError`` naming the first point out of range for ``units``."""
    for index, (x, y) in enumerate(points):
        if units == "relative" and not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(
                f"{what} point {index} [{x}, {y}] is outside the relative range 0..1"
                " (use units: px for pixel coordinates)"
            )
        if units == "px" and (x < 0 or y < 0):
            raise ValueError(f"{what} point {index} [{x}, {y}] is a negative pixel")


class ShapeFilter(_Model):
    """Box size and shape limits; area is a fraction of the frame, aspect is width / height."""

    min_area: float = Field(default=0.0, ge=0.0, le=1.0)
    max_area: float = Field(default=1.0, gt=0.0, le=1.0)
    min_aspect: float | None = Field(default=None, gt=0.0)
    max_aspect: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_area >= self.max_area:
            raise ValueError(f"min_area ({self.min_area}) must be below max_area ({self.max_area})")
        if (
            self.min_aspect is not None
            and self.max_aspect is not None
            and self.min_aspect >= self.max_aspect
        ):
            raise ValueError("min_aspect must be below max_aspect")
        return self


# A box over half the picture is no vehicle, bag or person on an elevated street camera: it
# is the detector hallucinating on the whole scene (a motorway camera's "train" over 90-99 %
# of its frames, ~300 false road blockages an hour). Raise it for a close-up doorway camera.
DEFAULT_MAX_AREA = 0.5


class ObjectFilterConfig(ShapeFilter):
    """Camera-wide: detections failing it are dropped before tracking, for every rule."""

    max_area: float = Field(default=DEFAULT_MAX_AREA, gt=0.0, le=1.0)
    include: list[str] | None = Field(default=None, description="Keep only these classes.")
    exclude: list[str] = Field(default_factory=list, description="Drop these classes.")
    # Per-class size and shape limits replacing the ones above for that class, e.g.
    # {person: {min_area: 0.0005, max_aspect: 1.2}}.
    classes: dict[str, ShapeFilter] = Field(default_factory=dict)


class ZoneFilterConfig(ShapeFilter):
    """Per zone: what the zone's rules see of the camera's (already filtered) detections."""

    include: list[str] | None = Field(default=None, description="Keep only these classes.")
    exclude: list[str] = Field(default_factory=list, description="Drop these classes.")
    # True: an object is in the zone when the bottom centre of its box (where it stands) is.
    # False: the centre of the box counts, for zones where feet are hidden (behind a wall).
    bottom_in_zone: bool = True


class MaskConfig(_Model):
    polygon: list[Point] = Field(min_length=3)
    units: Units = "relative"

    @model_validator(mode="after")
    def _in_range(self) -> Self:
        check_points(self.polygon, self.units, "mask")
        return self


class MasksConfig(_Model):
    """Polygons where nothing is looked for, per camera."""

    # A detection whose bottom centre falls in one is dropped before tracking: burnt-in
    # time and camera-name overlays that the detector reads as objects, a poster of a car.
    objects: list[MaskConfig] = Field(default_factory=list)
    # Ignored by the motion gate and by left-object background models: a swaying tree, a
    # flickering screen, the running clock of the overlay.
    motion: list[MaskConfig] = Field(default_factory=list)
