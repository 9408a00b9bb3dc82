"""Trust: when a report was really made, what inspections found broken, tasks' owners

- status_reports.effective_at: the moment the operator tapped (the device's time, clamped to the
  server's clock); a report queued offline keeps its age. Rows from before stay NULL, which
  means their receipt time (the table is append-only: its rows are never rewritten).
- points.state_times: per reported field, the effective time of the value the point now shows,
  so that a late report never overrides a newer one.
- points.faults: services an inspection found not working, until fixed.
- points.fuel_tank_litres: the tank's size, what a fuel report is checked against.
- follow_up_tasks.priority, due_at, assignee_user_id: who fixes what, by when.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_times", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("faults", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("fuel_tank_litres", sa.Integer(), nullable=True))
    with op.batch_alter_table("follow_up_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.String(length=16), nullable=False, server_default="normal")
        )
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "assignee_user_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            "fk_follow_up_tasks_assignee", "users", ["assignee_user_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_up_tasks", schema=None) as batch_op:
        batch_op.drop_constraint("fk_follow_up_tasks_assignee", type_="foreignkey")
        batch_op.drop_column("assignee_user_id")
        batch_op.drop_column("due_at")
        batch_op.drop_column("priority")
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.drop_column("fuel_tank_litres")
        batch_op.drop_column("faults")
        batch_op.drop_column("state_times")
    with op.batch_alter_table("status_reports", schema=None) as batch_op:
        batch_op.drop_column("effective_at")
