"""Snapshot index: which pack file (offset, length) holds the image of each sha256.

Revision ID: 0006_snapshot_packs
Revises: 0005_clean_snapshot
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_snapshot_packs"
down_revision: str | None = "0005_clean_snapshot"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "snapshot_index",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pack", sa.String(64), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_snapshot_index"),
    )
    op.create_index("ix_snapshot_index_pack", "snapshot_index", ["pack"])


def downgrade() -> None:
    op.drop_index("ix_snapshot_index_pack", table_name="snapshot_index")
    op.drop_table("snapshot_index")
