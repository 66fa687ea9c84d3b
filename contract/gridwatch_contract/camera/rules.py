"""Rule configuration: one model per rule type, a discriminated union on ``type``.

Each rule is configured per camera and zone; the lifecycle settings (dwell, updates, end,
cooldown) are shared by all of them through ``LifecycleConfig``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from gridwatch_contract.camera.base import Identifier
from gridwatch_contract.camera.base import StrictModel as _Model
from gridwatch_contract.camera.filters import Units, check_points


class LifecycleConfig(_Model):
    """Timing shared by every rule: how an event starts, repeats, ends and rests."""

    # The condition must hold this long before ``new`` (0 = at once, for rules whose condition
    # already contains a dwell, such as "stationary for T s").
    min_duration_s: float = Field(default=0.0, ge=0)
    update_interval_s: float = Field(default=10.0, gt=0)
    # The condition must stay cleared this long before ``end``: hysteresis in time, so a
    # flickering detection does not split one real event into several.
    end_after_s: float = Field(default=3.0, gt=0)
    # After ``end``, no ``new`` for this long: one real event that pauses is not re-alerted.
    cooldown_s: float = Field(default=0.0, ge=0)


class DenseCountConfig(_Model):
    """The crowd zone looked at again in tiles at the network's input size (``dense_count``)."""

    # Run when the frame-wide count reaches this fraction of min_persons without reaching it:
    # a distant crowd is undercounted by about half at 416 px, so 0.5 catches it, while a
    # near-empty zone never pays for the second look.
    near_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    # Frame pixels per tile side; the detector's input size (YOLOX-Nano: 416), so tiles run at
    # their own resolution instead of shrunk with the whole frame.
    tile_px: int = Field(default=416, ge=64, le=4096)
    # At most this many tiles (inferences) per pass: a larger zone gets larger tiles.
    max_tiles: int = Field(default=4, ge=1, le=16)
    # A pass's count stands for this long: at 5 analysed fps, 1 s is one pass in five frames,
    # so the extra cost is at most max_tiles / 5 inferences per analysed frame of the camera.
    interval_s: float = Field(default=1.0, gt=0.0, le=60.0)


class CrowdRuleConfig(LifecycleConfig):
    type: Literal["crowd"]
    id: Identifier
    zone: str
    min_persons: int = Field(ge=1)
    min_duration_s: float = Field(gt=0)
    # Hysteresis in count: an active crowd ends only when fewer than min_persons - this stand
    # in the zone (0 keeps the tuned behaviour: ends below min_persons).
    count_hysteresis: int = Field(default=0, ge=0)
    # The denser second look near the threshold (``dense_count: {}`` for its defaults). Off by
    # default: each pass costs up to max_tiles inferences, which a zone of near people does
    # not need; turn it on for zones where people are small (far from the camera).
    dense_count: DenseCountConfig | None = None

    @model_validator(mode="after")
    def _hysteresis_below_threshold(self) -> Self:
        if self.count_hysteresis >= self.min_persons:
            raise ValueError("count_hysteresis must be smaller than min_persons")
        return self


VEHICLE_CLASSES = ("car", "truck", "bus", "motorcycle")


class _StationaryRuleConfig(LifecycleConfig):
    id: Identifier
    zone: str
    classes: list[str] = Field(default_factory=lambda: list(VEHICLE_CLASSES), min_length=1)
    # How long an object must stand still in the zone before it counts.
    dwell_s: float = Field(gt=0)
    # Frames in a row an object must be inside (or outside) the zone before it counts as in
    # (or out): bridges single-frame box jitter at the zone edge.
    zone_inertia: int = Field(default=3, ge=1, le=50)


class RoadBlockageRuleConfig(_StationaryRuleConfig):
    """A vehicle (or any large object) still in a lane for dwell_s, or many stopped at once."""

    type: Literal["road_blockage"]
    # Any tracked object, whatever its class, whose box covers at least this fraction of the
    # frame also blocks the lane (a fallen load, a skip); None = only ``classes``.
    large_object_min_area: float | None = Field(default=None, gt=0.0, lt=1.0)
    # "Or >= K stopped vehicles at once": stopped means still for ``stopped_after_s``.
    min_stopped_vehicles: int | None = Field(default=None, ge=2)
    stopped_after_s: float = Field(default=5.0, gt=0)


class IllegalParkingRuleConfig(_StationaryRuleConfig):
    """A vehicle still in a no-parking zone for dwell_s."""

    type: Literal["illegal_parking"]


LEFT_OBJECT_CLASSES = ("backpack", "handbag", "suitcase", "bottle")
# What ``littering`` looks for by default: the COCO classes of thrown-away things, and a size
# limit (1 % of the frame: a bin bag near the camera, a bottle anywhere) above which a new
# still thing is a left object, not litter.
LITTER_CLASSES = ("bottle", "cup")
LITTER_MAX_AREA = 0.01


class BackgroundChangeConfig(_Model):
    """Dual background models: long-term foreground that the short-term model absorbed."""

    # A static object sinks into the short-term background after about this long...
    short_term_s: float = Field(default=3.0, gt=0)
    # ...and into the long-term one only after this long, which must exceed the dwell.
    long_term_s: float = Field(default=120.0, gt=0)
    # For this long after the first frame the long-term model learns as fast as the short-term
    # one: people standing in the first frame then walk off without leaving a "ghost" (their
    # outline in the long-term background) that would be reported as a left object. Objects
    # put down during the warm-up are not reported.
    warm_up_s: float = Field(default=10.0, ge=0)
    # Smallest changed blob, as a fraction of the zone area: below that it is noise.
    min_area: float = Field(default=0.002, gt=0.0, lt=1.0)
    # Image width the models run at: halves the cost per halving, small objects still show.
    analysis_width: int = Field(default=384, ge=64, le=4096)


class LeftObjectRuleConfig(LifecycleConfig):
    """A new object that stays in the zone, unattended, for dwell_s (``littering``: same)."""

    type: Literal["left_object", "littering"]
    id: Identifier
    zone: str
    dwell_s: float = Field(gt=0)
    # Detector classes that are "objects"; [] disables the detector path.
    classes: list[str] = Field(default_factory=lambda: list(LEFT_OBJECT_CLASSES))
    # Compare against a long-term background as well; None disables that path.
    background: BackgroundChangeConfig | None = Field(default_factory=BackgroundChangeConfig)
    # The person who came with the object is the one closest to it, within this many person
    # heights (of that person's box, measured foot to foot), when it appeared; the owner has
    # gone once farther than this or lost by the tracker. 1.5 heights is arm's length plus a
    # step on either side: the owner putting a bag down, not the walker two metres away.
    owner_radius: float = Field(default=1.5, gt=0)
    # The owner is looked for this long before the object appeared: the background path sees
    # an object only once it has been still for short_term_s, by when the owner may be gone.
    owner_lookback_s: float = Field(default=5.0, ge=0)
    # An object unseen for up to this long (walkers, a bus passing in front) keeps its
    # identity and its dwell; unseen longer, it has been taken away. 5 s covers a group of
    # pedestrians or a car passing at walking pace in front of it.
    occlusion_s: float = Field(default=5.0, gt=0)
    zone_inertia: int = Field(default=3, ge=1, le=50)
    # Candidates whose box covers more of the frame than this are not this rule's objects
    # (None: no limit; ``littering`` defaults to LITTER_MAX_AREA).
    max_object_area: float | None = Field(default=None, gt=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _littering_defaults(cls, data: Any) -> Any:
        """``littering`` is the same rule tuned for small things thrown or left."""
        if isinstance(data, dict) and data.get("type") == "littering":
            data = {
                "classes": list(LITTER_CLASSES),
                "max_object_area": LITTER_MAX_AREA,
                **data,
            }
        return data

    @model_validator(mode="after")
    def _has_a_path(self) -> Self:
        if not self.classes and self.background is None:
            raise ValueError("needs detector classes, a background model, or both")
        if self.background is not None and self.background.long_term_s <= self.dwell_s:
            raise ValueError(
                "background.long_term_s must exceed dwell_s, or the object is absorbed"
                " into the background before it is reported"
            )
        return self


class LineCrossingRuleConfig(LifecycleConfig):
    """Counts objects crossing a directed line; alerts carry the counts."""

    type: Literal["line_crossing"]
    id: Identifier
    # From ``line[0]`` to ``line[1]`` (relative); crossing from its left to its right as seen
    # on screen counts as ``in``, the other way as ``out``.
    line: tuple[tuple[float, float], tuple[float, float]]
    units: Units = Field(default="relative", description="Of ``line``: relative (0..1) or px.")
    zone: str | None = Field(default=None, description="Optional: count only inside it.")
    classes: list[str] = Field(default_factory=lambda: ["person"], min_length=1)
    direction: Literal["in", "out", "both"] = "both"
    # An event starts when this many crossings (in ``direction``) happen within window_s.
    min_crossings: int = Field(default=1, ge=1)
    window_s: float = Field(default=10.0, gt=0)
    # A point this close to the line (fraction of box height) is on neither side: box jitter
    # around the line must not count as back-and-forth crossings.
    dead_band: float = Field(default=0.1, ge=0.0, le=2.0)
    # Hysteresis: after stepping across, a track counts once it is this many box heights
    # beyond the line (a walker covers ~0.8 heights a second; two people who meet on the line
    # and turn back, each id briefly on the other's box, get ~0.2 beyond it) ...
    min_distance: float = Field(default=0.35, ge=0.0, le=5.0)
    # ... and has stayed on the new side this long (2 frames at 5 analysed fps).
    min_time_s: float = Field(default=0.4, ge=0.0, le=30.0)

    @model_validator(mode="after")
    def _valid_line(self) -> Self:
        check_points(self.line, self.units, "line")
        if self.line[0] == self.line[1]:
            raise ValueError("line needs two different points")
        return self


RuleConfig = Annotated[
    CrowdRuleConfig
    | RoadBlockageRuleConfig
    | IllegalParkingRuleConfig
    | LeftObjectRuleConfig
    | LineCrossingRuleConfig,
    Field(discriminator="type"),
]
