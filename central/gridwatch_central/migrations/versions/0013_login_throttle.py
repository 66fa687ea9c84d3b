"""Login throttle: failed logins per account and per client address, and their lockouts.

Revision ID: 0013_login_throttle
Revises: 0012_sensors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_login_throttle"
down_revision: str | None = "0012_sensors"
branch_labels: str | None = None
depends_on: str | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _when("window_started_at"),
        _when("last_failure_at"),
        _when("locked_until", nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_locked_until", "login_throttle", ["locked_until"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_locked_until", table_name="login_throttle")
    op.drop_table("login_throttle")
