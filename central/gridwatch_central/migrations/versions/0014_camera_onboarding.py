"""Camera onboarding: cameras configured from central (encrypted URL, analysis settings,
config revision) and the edge registry (name, grid, broker account, config push state).

Stream URLs stay in ``cameras.rtsp_url`` until central next starts with its camera key: it
then encrypts each into ``url_encrypted`` and leaves only the redacted URL in ``rtsp_url``
(a migration cannot: the key is not the database's to know).

Revision ID: 0014_camera_onboarding
Revises: 0013_login_throttle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_camera_onboarding"
down_revision: str | None = "0013_login_throttle"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("cameras") as cameras:
        cameras.add_column(sa.Column("url_encrypted", sa.Text(), nullable=True))
        cameras.add_column(
            sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        cameras.add_column(sa.Column("heading_deg", sa.Double(), nullable=True))
        cameras.add_column(sa.Column("national_code", sa.String(20), nullable=True))
        cameras.add_column(sa.Column("analysis", sa.JSON(), nullable=True))
        # The edge config revision that last carried a change of this camera.
        cameras.add_column(
            sa.Column("config_revision", sa.Integer(), nullable=False, server_default="0")
        )
        cameras.create_index("ix_cameras_national_code", ["national_code"])
    with op.batch_alter_table("edges") as edges:
        # A registered edge exists before it ever speaks.
        edges.alter_column("first_seen_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        edges.alter_column("last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        edges.add_column(
            sa.Column("registered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        edges.add_column(sa.Column("name", sa.String(200), nullable=True))
        edges.add_column(sa.Column("grid_code", sa.String(32), nullable=True))
        edges.add_column(sa.Column("broker_username", sa.String(64), nullable=True))
        edges.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
        edges.add_column(
            sa.Column("config_revision", sa.Integer(), nullable=False, server_default="0")
        )
        # True while the newest revision still has to reach the broker.
        edges.add_column(
            sa.Column("config_dirty", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        edges.add_column(sa.Column("config_published_at", sa.DateTime(timezone=True)))
        edges.add_column(sa.Column("applied_revision", sa.Integer(), nullable=True))
        edges.add_column(sa.Column("rejected_revision", sa.Integer(), nullable=True))
        edges.add_column(sa.Column("config_error", sa.Text(), nullable=True))
        edges.add_column(sa.Column("camera_errors", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("edges") as edges:
        for column in (
            "camera_errors",
            "config_error",
            "rejected_revision",
            "applied_revision",
            "config_published_at",
            "config_dirty",
            "config_revision",
            "registered_at",
            "broker_username",
            "grid_code",
            "name",
            "registered",
        ):
            edges.drop_column(column)
    with op.batch_alter_table("cameras") as cameras:
        cameras.drop_index("ix_cameras_national_code")
        for column in (
            "config_revision",
            "analysis",
            "national_code",
            "heading_deg",
            "enabled",
            "url_encrypted",
        ):
            cameras.drop_column(column)
