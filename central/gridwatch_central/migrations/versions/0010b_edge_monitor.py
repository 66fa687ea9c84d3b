"""Edge monitor: the ``edges`` table (seed of the edge registry) and per-camera health.

Revision ID: 0010b_edge_monitor
Revises: 0007_ingest_hardening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010b_edge_monitor"
down_revision: str | None = "0007_ingest_hardening"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "edges",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_state", sa.String(16), nullable=True),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("software_version", sa.String(64), nullable=True),
        sa.Column("model_name", sa.String(64), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("stats_interval_s", sa.Double(), nullable=True),
        sa.Column("stats_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uptime_s", sa.Double(), nullable=True),
        sa.Column("outbox_depth", sa.Integer(), nullable=True),
        sa.Column("inference_ms_p50", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_edges"),
    )
    op.create_table(
        "camera_health",
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("connection", sa.String(16), nullable=True),
        sa.Column("input_fps", sa.Double(), nullable=False),
        sa.Column("analysed_fps", sa.Double(), nullable=False),
        sa.Column("frames_read", sa.BigInteger(), nullable=False),
        sa.Column("frames_analysed", sa.BigInteger(), nullable=False),
        sa.Column("frames_skipped", sa.BigInteger(), nullable=False),
        sa.Column("frames_motion_skipped", sa.BigInteger(), nullable=False),
        sa.Column("reconnects_last_hour", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.BigInteger(), nullable=False),
        sa.Column("last_frame_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["edge_id"],
            ["edges.id"],
            name="fk_camera_health_edge_id_edges",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("edge_id", "camera_id", name="pk_camera_health"),
    )
    op.create_index("ix_camera_health_camera_id", "camera_health", ["camera_id"])


def downgrade() -> None:
    op.drop_index("ix_camera_health_camera_id", table_name="camera_health")
    op.drop_table("camera_health")
    op.drop_table("edges")
