"""Alerts: the hash of the clean (unannotated) snapshot the edge sends beside the annotated one.

Revision ID: 0005_clean_snapshot
Revises: 0004_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_clean_snapshot"
down_revision: str | None = "0004_access"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER TABLE ... ADD COLUMN with every option; a nullable
    # column is fine either way, batch keeps both databases on one code path.
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("clean_snapshot_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("clean_snapshot_sha256")
