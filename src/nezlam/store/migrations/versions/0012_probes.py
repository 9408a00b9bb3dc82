"""probes: a device row may be a probe of the point's own internet link, by its host:port, which
`nezlam probe run` reaches with a TCP connect and records as the device's ping (issue 12)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("probe_address", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_keys", schema=None) as batch_op:
        batch_op.drop_column("probe_address")
