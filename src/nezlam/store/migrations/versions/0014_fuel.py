"""fuel: a point's generators and the litres an hour they burn, and the deliveries of fuel to
it, from which its runway is told (issue 13)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("points", sa.Column("fuel_use_lph", sa.Float(), nullable=True))
    op.create_table(
        "point_generators",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=True),
        sa.Column("rated_kw", sa.Float(), nullable=False),
        sa.Column("fuel", sa.String(length=16), nullable=False),
        sa.Column("tank_litres", sa.Float(), nullable=True),
        sa.Column("litres_per_hour", sa.Float(), nullable=True),
        sa.Column("backup", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_point_generators_point_id", "point_generators", ["point_id"])
    op.create_table(
        "fuel_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("litres", sa.Float(), nullable=False),
        sa.Column("delivered_by", sa.String(length=200), nullable=True),
        sa.Column("delivered_at", WHEN, nullable=False),
        sa.Column("recorded_by", BIG_ID, nullable=True),
        sa.Column("report_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["status_reports.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fuel_deliveries_point_at", "fuel_deliveries", ["point_id", "delivered_at"])


def downgrade() -> None:
    op.drop_index("ix_fuel_deliveries_point_at", table_name="fuel_deliveries")
    op.drop_table("fuel_deliveries")
    op.drop_index("ix_point_generators_point_id", table_name="point_generators")
    op.drop_table("point_generators")
    op.drop_column("points", "fuel_use_lph")
