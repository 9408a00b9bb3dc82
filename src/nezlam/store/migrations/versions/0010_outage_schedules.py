"""outage schedules: each import of a provider's schedule with its outages by queue, the warnings
sent, and a point's region and queue (issue 12)

A later import of a provider is marked current and the earlier ones stay as its history. A
warning is one row per point and outage start, the key that keeps it from being sent twice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outage_imports",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("imported_at", WHEN, nullable=False),
        sa.Column("source_updated_at", WHEN, nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outage_imports_provider_current", "outage_imports", ["provider", "current"])
    op.create_table(
        "outage_intervals",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("import_id", BIG_ID, nullable=False),
        sa.Column("queue", sa.String(length=16), nullable=False),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["outage_imports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outage_intervals_import_queue", "outage_intervals", ["import_id", "queue"])
    op.create_table(
        "outage_warnings",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=16), nullable=False),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("point_id", "starts_at", name="uq_outage_warning"),
    )
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outage_region", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("outage_queue", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.drop_column("outage_queue")
        batch_op.drop_column("outage_region")
    op.drop_table("outage_warnings")
    op.drop_table("outage_intervals")
    op.drop_table("outage_imports")
