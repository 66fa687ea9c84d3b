"""Initial schema: alerts, cases, case timeline, quarantined messages.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_GRID = 15


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("grid_l1_code", sa.String(_GRID), nullable=True),
        sa.Column("grid_l2_code", sa.String(_GRID), nullable=True),
        sa.Column("grid_l3_code", sa.String(_GRID), nullable=True),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("due_at", _utc(), nullable=False),
        sa.Column("first_alert_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("case_number", name="uq_cases_case_number"),
        sa.UniqueConstraint("event_id", name="uq_cases_event_id"),
    )
    for column in ("state", "grid_l1_code", "grid_l2_code", "grid_l3_code", "opened_at"):
        op.create_index(f"ix_cases_{column}", "cases", [column])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("zone_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("grid_l1_code", sa.String(_GRID), nullable=True),
        sa.Column("grid_l2_code", sa.String(_GRID), nullable=True),
        sa.Column("grid_l3_code", sa.String(_GRID), nullable=True),
        sa.Column("snapshot_sha256", sa.String(64), nullable=True),
        sa.Column("model_name", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_alerts_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("alert_id", name="uq_alerts_alert_id"),
    )
    for column in (
        "event_id",
        "camera_id",
        "event_type",
        "received_at",
        "grid_l1_code",
        "grid_l2_code",
        "grid_l3_code",
        "case_id",
    ):
        op.create_index(f"ix_alerts_{column}", "alerts", [column])

    op.create_table(
        "case_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_timeline_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_timeline"),
    )
    op.create_index("ix_case_timeline_case_id", "case_timeline", ["case_id"])

    op.create_table(
        "quarantined_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(512), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("error_code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quarantined_messages"),
    )
    for column in ("error_code", "received_at"):
        op.create_index(f"ix_quarantined_messages_{column}", "quarantined_messages", [column])


def downgrade() -> None:
    for table in ("quarantined_messages", "case_timeline", "alerts", "cases"):
        op.drop_table(table)
