"""Geography: the imported grid, grid import history, cameras; wider grid codes; where an
alert's position came from.

Revision ID: 0002_grids_cameras
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_grids_cameras"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# Grid codes follow a configurable scheme (GridCodeScheme); 32 is the widest it allows.
_GRID = 32
_GRID_BEFORE = 15
_GRID_COLUMNS = ("grid_l1_code", "grid_l2_code", "grid_l3_code")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "grid_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imported_at", _utc(), nullable=False),
        sa.Column("source", sa.String(512), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grid_imports"),
    )
    op.create_table(
        "grid_cells",
        sa.Column("code", sa.String(_GRID), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(_GRID), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_grid_cells"),
    )
    op.create_index("ix_grid_cells_level", "grid_cells", ["level"])
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rtsp_url", sa.Text(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("homography", sa.JSON(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cameras"),
    )
    op.create_index("ix_cameras_edge_id", "cameras", ["edge_id"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("location_source", sa.String(16), nullable=True))
    _resize_grid_codes(_GRID_BEFORE, _GRID)


def downgrade() -> None:
    _resize_grid_codes(_GRID, _GRID_BEFORE)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("location_source")
    for table in ("cameras", "grid_cells", "grid_imports"):
        op.drop_table(table)


def _resize_grid_codes(before: int, after: int) -> None:
    for table in ("alerts", "cases"):
        with op.batch_alter_table(table) as batch:
            for column in _GRID_COLUMNS:
                batch.alter_column(
                    column,
                    existing_type=sa.String(before),
                    type_=sa.String(after),
                    existing_nullable=True,
                )
