"""Case loop: incidents, review timeline, extensions, supervision; case and timeline columns.

Revision ID: 0003_case_loop
Revises: 0002_grids_cameras

Columns are added with plain ``ADD COLUMN`` (never a batch table copy): on SQLite a copy of
``cases`` would have to drop the table the alerts and the timeline point at.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_case_loop"
down_revision: str | None = "0002_grids_cameras"
branch_labels: str | None = None
depends_on: str | None = None

# Grid codes: as wide as 0002_grids_cameras made them (the widest GridCodeScheme allows).
_GRID = 32


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create_incidents() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("grid_l1_code", sa.String(_GRID), nullable=True),
        sa.Column("grid_l2_code", sa.String(_GRID), nullable=True),
        sa.Column("grid_l3_code", sa.String(_GRID), nullable=True),
        sa.Column("place", sa.String(100), nullable=True),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("model_name", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("first_alert_id", sa.Uuid(), nullable=False),
        sa.Column("first_event_id", sa.Uuid(), nullable=False),
        sa.Column("best_alert_id", sa.Uuid(), nullable=False),
        sa.Column("best_confidence", sa.Double(), nullable=False),
        sa.Column("best_snapshot_sha256", sa.String(64), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["incidents.id"], name="fk_incidents_duplicate_of_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    for column in (
        "category",
        "status",
        "grid_l1_code",
        "grid_l2_code",
        "grid_l3_code",
        "camera_id",
        "first_seen_at",
        "last_seen_at",
    ):
        op.create_index(f"ix_incidents_{column}", "incidents", [column])

    op.create_table(
        "incident_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_events_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("event_id", name="pk_incident_events"),
    )
    op.create_index("ix_incident_events_incident_id", "incident_events", ["incident_id"])

    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_timeline_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incident_timeline"),
    )
    op.create_index("ix_incident_timeline_incident_id", "incident_timeline", ["incident_id"])
    op.create_index("ix_incident_timeline_at", "incident_timeline", ["at"])


def _create_case_tables() -> None:
    op.create_table(
        "case_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", _utc(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_extensions_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_extensions"),
    )
    op.create_index("ix_case_extensions_case_id", "case_extensions", ["case_id"])
    op.create_index("ix_case_extensions_status", "case_extensions", ["status"])

    op.create_table(
        "supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_key", sa.String(64), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("deadline_at", _utc(), nullable=False),
        sa.Column("raised_at", _utc(), nullable=False),
        sa.Column("escalated_to", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_supervisions_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_supervisions"),
        sa.UniqueConstraint(
            "case_id", "step_key", "level", name="uq_supervisions_case_id_step_key_level"
        ),
    )
    for column in ("case_id", "level", "raised_at"):
        op.create_index(f"ix_supervisions_{column}", "supervisions", [column])


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable integer column referencing ``target.id``, on SQLite inline, else named."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        # SQLite accepts a column constraint in ADD COLUMN; alembic would demand a table copy.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id)"
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])


def _extend_existing_tables() -> None:
    _add_reference("cases", "incident_id", "incidents")
    op.create_index("ix_cases_incident_id", "cases", ["incident_id"], unique=True)
    for column in (
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("area_class", sa.String(32), nullable=True),
        sa.Column("handling_level", sa.Integer(), server_default="3", nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("emergency", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("step_due_at", _utc(), nullable=True),
        sa.Column("step_key", sa.String(64), nullable=True),
        sa.Column("step_warn_at", _utc(), nullable=True),
        sa.Column("due_warn_at", _utc(), nullable=True),
        sa.Column("due_revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("held_state", sa.String(32), nullable=True),
        sa.Column("held_at", _utc(), nullable=True),
    ):
        op.add_column("cases", column)
    for column_name in ("department", "assignee", "step_due_at", "step_warn_at", "due_warn_at"):
        op.create_index(f"ix_cases_{column_name}", "cases", [column_name])

    _add_reference("alerts", "incident_id", "incidents")
    op.create_index("ix_alerts_incident_id", "alerts", ["incident_id"])

    op.add_column("case_timeline", sa.Column("actor_role", sa.String(32), nullable=True))
    op.add_column("case_timeline", sa.Column("attachments", sa.JSON(), nullable=True))
    op.add_column("case_timeline", sa.Column("details", sa.JSON(), nullable=True))


def upgrade() -> None:
    _create_incidents()
    _create_case_tables()
    _extend_existing_tables()


def downgrade() -> None:
    with op.batch_alter_table("case_timeline") as batch:
        for column in ("details", "attachments", "actor_role"):
            batch.drop_column(column)
    op.drop_index("ix_alerts_incident_id", "alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("incident_id")
    for column_name in (
        "incident_id",
        "department",
        "assignee",
        "step_due_at",
        "step_warn_at",
        "due_warn_at",
    ):
        op.drop_index(f"ix_cases_{column_name}", "cases")
    with op.batch_alter_table("cases") as batch:
        for column_name in (
            "held_at",
            "held_state",
            "due_revision",
            "due_warn_at",
            "step_warn_at",
            "step_key",
            "step_due_at",
            "emergency",
            "assignee",
            "handling_level",
            "area_class",
            "department",
            "incident_id",
        ):
            batch.drop_column(column_name)
    for table in ("supervisions", "case_extensions", "incident_timeline", "incident_events"):
        op.drop_table(table)
    op.drop_table("incidents")
