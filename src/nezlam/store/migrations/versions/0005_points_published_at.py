"""points.published_at: when the public could first see a point

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:45:52
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    # Points that exist already may have been public at some time: the feeds keep reporting
    # them as removed when hidden (the safe side for consumers that copied them).
    op.execute("UPDATE points SET published_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.drop_column("published_at")
