"""The configuration of one camera, as an edge runs it and as central stores and sends it.

Both sides validate the same models: central before it publishes an edge's config, the edge
before it replaces its cameras, so a config central accepted is one the edge accepts too (URL
reachability and file sources aside, which only the edge can judge).
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from gridwatch_contract.camera.base import Identifier
from gridwatch_contract.camera.base import StrictModel as _Model
from gridwatch_contract.camera.filters import (
    MasksConfig,
    ObjectFilterConfig,
    Units,
    ZoneFilterConfig,
    check_points,
)
from gridwatch_contract.camera.rules import RuleConfig
from gridwatch_contract.messages import GeoPoint


class ZoneConfig(_Model):
    id: Identifier
    polygon: list[tuple[float, float]] = Field(
        min_length=3, description="[x, y] points relative to frame width/height, 0..1."
    )
    units: Units = Field(default="relative", description="relative (0..1) or px.")
    filters: ZoneFilterConfig | None = Field(
        default=None, description="What this zone's rules see of the camera's objects."
    )

    @model_validator(mode="after")
    def _in_range(self) -> Self:
        check_points(self.polygon, self.units, "polygon")
        return self


class TrackerConfig(_Model):
    """ByteTrack settings; the defaults suit 5 analysed fps of elevated CCTV."""

    # Detections at or above this score start tracks and are matched first (ByteTrack's
    # "high" set); those below (down to the detector threshold) only extend existing tracks.
    high_score: float = Field(default=0.5, gt=0.0, lt=1.0)
    # At 5 fps a walker moves about a third of a body width between frames; with the Kalman
    # prediction the matched IoU is usually > 0.5, and 0.2 still accepts a turn or a stumble.
    match_iou: float = Field(default=0.2, gt=0.0, le=1.0)
    # Low-score detections are ambiguous, so they must overlap the prediction clearly.
    low_score_match_iou: float = Field(default=0.5, gt=0.0, le=1.0)
    # Three sightings in a row (0.6 s at 5 fps) before an id: single-frame false positives
    # never become objects, real ones are confirmed before any rule's dwell matters.
    min_hits: int = Field(default=3, ge=1, le=100)
    # Keep a lost track 15 frames (3 s at 5 fps): long enough to bridge a passer-by hiding it.
    max_misses: int = Field(default=15, ge=0, le=1000)
    # Seconds of bottom-centre path kept per track, for line crossings and inspection.
    history_s: float = Field(default=30.0, gt=0)
    # An object is "still" while its bottom centre stays within this fraction of its box
    # height: detector jitter is a few percent of the height, a slow walker covers more than
    # half a height per second.
    stationary_fraction: float = Field(default=0.2, gt=0.0, le=2.0)


class MotionConfig(_Model):
    """Frame differencing before the detector: a still scene costs no inference."""

    enabled: bool = True
    # 160 px wide keeps a person at 20 m (about 30 px tall in 720p) a few pixels tall while
    # making the difference ~40x cheaper than at full resolution.
    width: int = Field(default=160, ge=32, le=1280)
    # Grey-level change (0..255) a pixel needs to count as moved: above sensor noise and
    # H.264 blocking (typically < 10) yet well below a person against tarmac (> 40).
    pixel_threshold: int = Field(default=25, ge=1, le=254)
    # Share of pixels that must change: 0.2 % of 160x90 is ~29 pixels, i.e. a walking person
    # far away, while compression flicker over a whole still frame stays below it.
    min_changed_fraction: float = Field(default=0.002, gt=0.0, lt=1.0)
    # Detect at least this often even on a still scene, so that stationary objects (a parked
    # van, a left bag) stay confirmed by the detector and the rules' dwell timers keep running.
    max_skip_s: float = Field(default=5.0, gt=0.0, le=3600.0)


class CameraConfig(_Model):
    id: Identifier
    url: str = Field(min_length=1, description="rtsp://, rtsps:// or a local file path.")
    # As NVRs do: detection reads the cheap sub-stream (url), evidence clips come from the
    # main stream. None: clips are cut from url's own packets.
    record_url: str | None = Field(
        default=None, min_length=1, description="Stream the clips are cut from (clips: on)."
    )
    location: GeoPoint | None = None
    analysis_fps: float = Field(default=5.0, gt=0, le=60)
    realtime: bool = True
    motion: MotionConfig | None = Field(
        default=None, description="Overrides the box-wide motion settings for this camera."
    )
    zones: list[ZoneConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    filters: ObjectFilterConfig = Field(default_factory=ObjectFilterConfig)
    masks: MasksConfig = Field(default_factory=MasksConfig)

    @model_validator(mode="after")
    def _references(self) -> Self:
        require_unique("zone", [zone.id for zone in self.zones])
        require_unique("rule", [rule.id for rule in self.rules])
        zone_ids = {zone.id for zone in self.zones}
        for rule in self.rules:
            if rule.zone is not None and rule.zone not in zone_ids:
                raise ValueError(
                    f"rule {rule.id!r} refers to zone {rule.zone!r}, which camera {self.id!r}"
                    f" does not define (zones: {sorted(zone_ids)})"
                )
        return self

    def zone(self, zone_id: str) -> ZoneConfig:
        return next(zone for zone in self.zones if zone.id == zone_id)


def require_unique(what: str, ids: list[str]) -> None:
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} id(s): {', '.join(duplicates)}")


class CameraList(_Model):
    """A whole camera list (what an edge config message carries), ids unique."""

    cameras: list[CameraConfig]

    @model_validator(mode="after")
    def _unique_cameras(self) -> Self:
        require_unique("camera", [camera.id for camera in self.cameras])
        return self
