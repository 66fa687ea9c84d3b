"""Quarantine keeps a bounded prefix of a message, with the size and sha256 of the whole.

Rows stored before kept whole messages (up to the broker's 256 MiB): they get their size and
hash, and are cut to the 64 KiB prefix that ingest keeps from now on.

Revision ID: 0007_ingest_hardening
Revises: 0006_snapshot_packs
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007_ingest_hardening"
down_revision: str | None = "0006_snapshot_packs"
branch_labels: str | None = None
depends_on: str | None = None

# ingest.quarantine.QUARANTINE_PREFIX_BYTES at the time of this migration.
PREFIX_BYTES = 64 * 1024

_quarantine = sa.table(
    "quarantined_messages",
    sa.column("id", sa.Integer()),
    sa.column("payload", sa.LargeBinary()),
    sa.column("payload_size", sa.BigInteger()),
    sa.column("payload_sha256", sa.String(64)),
)


def upgrade() -> None:
    with op.batch_alter_table("quarantined_messages") as batch:
        batch.add_column(sa.Column("payload_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("payload_sha256", sa.String(64), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.select(_quarantine.c.id)).scalars().all()
    for row_id in ids:  # one row in memory at a time: old rows may be huge
        payload = connection.execute(
            sa.select(_quarantine.c.payload).where(_quarantine.c.id == row_id)
        ).scalar_one()
        connection.execute(
            sa.update(_quarantine)
            .where(_quarantine.c.id == row_id)
            .values(
                payload=payload[:PREFIX_BYTES],
                payload_size=len(payload),
                payload_sha256=hashlib.sha256(payload).hexdigest(),
            )
        )
    with op.batch_alter_table("quarantined_messages") as batch:
        batch.alter_column("payload_size", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("quarantined_messages") as batch:
        batch.drop_column("payload_sha256")
        batch.drop_column("payload_size")
