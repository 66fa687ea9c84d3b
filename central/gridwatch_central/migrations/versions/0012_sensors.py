"""Sensors: registry, rule state, samples, batch ids, alert links; alerts and incidents get a
source (camera or sensor).

Revision ID: 0012_sensors
Revises: 0011_clips
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_sensors"
down_revision: str | None = "0011_clips"
branch_labels: str | None = None
depends_on: str | None = None

GRID_CODE = 32


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as alerts:
        alerts.add_column(
            sa.Column("source", sa.String(16), nullable=False, server_default="camera")
        )
        alerts.create_index("ix_alerts_source", ["source"])
    with op.batch_alter_table("incidents") as incidents:
        incidents.add_column(
            sa.Column("source", sa.String(16), nullable=False, server_default="camera")
        )
    op.create_table(
        "sensors",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("gateway_id", sa.String(64), nullable=False),
        sa.Column("vendor_code", sa.String(64), nullable=False),
        sa.Column("sensor_type", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("height_m", sa.Double(), nullable=True),
        sa.Column("grid_l1_code", sa.String(GRID_CODE), nullable=True),
        sa.Column("grid_l2_code", sa.String(GRID_CODE), nullable=True),
        sa.Column("grid_l3_code", sa.String(GRID_CODE), nullable=True),
        sa.Column("linked_cameras", sa.JSON(), nullable=True),
        sa.Column("threshold", sa.JSON(), nullable=True),
        sa.Column("heartbeat_interval_s", sa.Double(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sensors"),
    )
    for column in ("gateway_id", "sensor_type", "grid_l1_code", "grid_l2_code", "grid_l3_code"):
        op.create_index(f"ix_sensors_{column}", "sensors", [column])
    op.create_index("ix_sensors_updated_at", "sensors", ["updated_at"])
    op.create_table(
        "sensor_states",
        sa.Column("sensor_id", sa.String(64), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        _when("since", nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("event_sequence", sa.Integer(), nullable=False),
        _when("event_started_at", nullable=True),
        _when("event_updated_at", nullable=True),
        sa.Column("device_alarm", sa.Boolean(), nullable=False),
        sa.Column("last_value", sa.Double(), nullable=True),
        _when("last_observed_at", nullable=True),
        _when("last_sample_at", nullable=True),
        _when("last_seen_at"),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", name="pk_sensor_states"),
    )
    op.create_index("ix_sensor_states_last_seen_at", "sensor_states", ["last_seen_at"])
    op.create_index("ix_sensor_states_offline", "sensor_states", ["offline"])
    op.create_table(
        "sensor_samples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sensor_id", sa.String(64), nullable=False),
        _when("observed_at"),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sensor_samples"),
    )
    op.create_index("ix_sensor_samples_sensor_id", "sensor_samples", ["sensor_id"])
    op.create_index("ix_sensor_samples_observed_at", "sensor_samples", ["observed_at"])
    op.create_table(
        "sensor_batches",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("gateway_id", sa.String(64), nullable=False),
        _when("received_at"),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_sensor_batches"),
    )
    op.create_index("ix_sensor_batches_received_at", "sensor_batches", ["received_at"])
    op.create_table(
        "alert_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("snapshot_sha256", sa.String(64), nullable=True),
        _when("requested_at"),
        _when("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_links"),
        sa.UniqueConstraint(
            "alert_id", "camera_id", "kind", name="uq_alert_links_alert_id_camera_id_kind"
        ),
    )
    op.create_index("ix_alert_links_alert_id", "alert_links", ["alert_id"])


def downgrade() -> None:
    op.drop_table("alert_links")
    op.drop_table("sensor_batches")
    op.drop_table("sensor_samples")
    op.drop_table("sensor_states")
    op.drop_table("sensors")
    with op.batch_alter_table("incidents") as incidents:
        incidents.drop_column("source")
    with op.batch_alter_table("alerts") as alerts:
        alerts.drop_index("ix_alerts_source")
        alerts.drop_column("source")
