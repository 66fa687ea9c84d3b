"""Clip settings of one edge box (the ``clips:`` section of the edge YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from gridwatch_contract.camera.base import StrictModel

MIB = 1024 * 1024


class ClipsConfig(StrictModel):
    """Pre- and post-roll clips of every event, kept and sent like alerts."""

    enabled: bool = True
    # Five seconds show who walked up to the bag or how the van arrived; the clip starts at
    # the last keyframe at or before this, so up to one GOP (typically 2 s) more.
    pre_s: float = Field(default=5.0, ge=0.0, le=120.0)
    # Ten seconds after the event opens show whether it persists; updates arriving while the
    # clip records extend it to post_s after the latest one, up to max_s in all.
    post_s: float = Field(default=10.0, gt=0.0, le=300.0)
    # A long-lasting event (a crowd updating every 10 s for an hour) must not record forever:
    # one minute of evidence, after which later updates rely on their snapshots.
    max_s: float = Field(default=60.0, gt=0.0, le=600.0)
    # The ring of the last pre_s seconds (plus one GOP) per camera is capped in bytes too: a
    # 4 Mbit/s main stream with a 4 s GOP needs ~5 MB; 16 MiB leaves room for 12 Mbit/s.
    buffer_max_bytes: int = Field(default=16 * MIB, ge=MIB)
    # A recording stops growing beyond this (max_s of a 30 Mbit/s stream would be 225 MB).
    clip_max_bytes: int = Field(default=64 * MIB, ge=MIB)
    path: Path = Field(
        default=Path("var/gridwatch/edge-clips"),
        description="Folder of the clip spool (MP4 files and clips.db).",
    )
    # Clips waiting for central on this box's disk; the oldest go first (counted, and central
    # is told). 2 GiB is ~1000 clips of 15 s at 1.4 Mbit/s: days of events during an outage.
    max_disk_bytes: int = Field(default=2048 * MIB, ge=16 * MIB)
    # Rows (clips and notices) waiting at most; notices are tiny, this bounds the table.
    max_entries: int = Field(default=10_000, ge=1)
    # A clip a week old helps nobody act on the street: it is dropped (and central told).
    ttl_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    # Central answers each chunk within milliseconds of writing it; without an answer the
    # chunk is sent again after this, then at doubling intervals up to the cap.
    ack_timeout_s: float = Field(default=15.0, gt=0)
    max_resend_interval_s: float = Field(default=300.0, gt=0)
    # A clip central refused this often (a corrupt file: it fails the same way every time)
    # is given up, and central told why.
    max_rejections: int = Field(default=3, ge=1, le=100)
    # Rows of clips that left, kept without their file as an audit trail.
    history_entries: int = Field(default=10_000, ge=0)

    @model_validator(mode="after")
    def _room_for_the_event(self) -> Self:
        if self.max_s < self.pre_s + self.post_s:
            raise ValueError(
                f"max_s ({self.max_s}) must be at least pre_s + post_s ({self.pre_s + self.post_s})"
            )
        if self.clip_max_bytes > self.max_disk_bytes:
            raise ValueError("clip_max_bytes must not exceed max_disk_bytes")
        return self
