"""emergency shutdowns: a power company's region where the schedules do not hold for a while,
declared and ended by coordinators (issue 12)

At most one is open per provider at a time: a partial unique index on the provider where it
has not ended.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)
OPEN = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "emergency_shutdowns",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_emergency_shutdown_open",
        "emergency_shutdowns",
        ["provider"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_emergency_shutdown_open", table_name="emergency_shutdowns")
    op.drop_table("emergency_shutdowns")
