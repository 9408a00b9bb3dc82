"""device_keys: the devices that ping for a point, and their last-known facts (issue 12)

One row per device key (only its SHA-256 kept), with what the device last said beside it, so
that a ping is one indexed read and one update of one row. `last_seen_at` has no index, so
that PostgreSQL can update the row in place.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "device_keys",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("powered_by", sa.String(length=8), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("last_seen_at", WHEN, nullable=True),
        sa.Column("online_since", WHEN, nullable=True),
        sa.Column("power", sa.String(length=16), nullable=True),
        sa.Column("power_since", WHEN, nullable=True),
        sa.Column("battery_pct", sa.Integer(), nullable=True),
        sa.Column("internet", sa.Boolean(), nullable=True),
        sa.Column("internet_since", WHEN, nullable=True),
        sa.Column("occupancy", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_keys_point_id"), ["point_id"], unique=False)


def downgrade() -> None:
    op.drop_table("device_keys")
