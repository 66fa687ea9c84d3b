"""Evidence clips: the clips table, and the clip each alert announces.

Revision ID: 0011_clips
Revises: 0010b_edge_monitor
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_clips"
down_revision: str | None = "0010b_edge_monitor"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "clips",
        sa.Column("clip_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("path", sa.String(256), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("codec", sa.String(16), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("clip_id", name="pk_clips"),
    )
    op.create_index("ix_clips_event_id", "clips", ["event_id"])
    op.create_index("ix_clips_stored_at", "clips", ["stored_at"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("clip_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_alerts_clip_id", ["clip_id"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_clip_id")
        batch.drop_column("clip_id")
    op.drop_index("ix_clips_stored_at", table_name="clips")
    op.drop_index("ix_clips_event_id", table_name="clips")
    op.drop_table("clips")
