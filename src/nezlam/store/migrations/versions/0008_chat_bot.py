"""What a chat bot keeps, and residents' answers after a visit

- chat_settings: a chat's language chosen with /lang;
- subscriptions: a chat told when a point (or any point near a place) opens or closes;
- link_codes: one-time codes (hashed) that link a staff member's chat to their account;
- alert_chats: chats the coordinators' notifications go to;
- broadcasts: a coordinator's message to a region's subscribers, draft then queued;
- visit_answers, visit_comments: four quick answers after a visit, and free words that wait for
  moderation;
- outbox_messages.priority: answers and alerts before broadcasts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_settings",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "chat", name="uq_chat_settings_chat"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index("ix_subscriptions_chat", ["channel", "chat"], unique=False)
        batch_op.create_index("ix_subscriptions_near", ["lat", "lon"], unique=False)
        batch_op.create_index("ix_subscriptions_region", ["channel", "region"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriptions_point_id"), ["point_id"], unique=False)
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_codes_user_id"), ["user_id"], unique=False)
    op.create_table(
        "alert_chats",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat", sa.String(length=64), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "chat", name="uq_alert_chats_chat"),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("queued_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "visit_answers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("was_open", sa.Boolean(), nullable=True),
        sa.Column("warm", sa.Boolean(), nullable=True),
        sa.Column("charged", sa.Boolean(), nullable=True),
        sa.Column("internet", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit_answers", schema=None) as batch_op:
        batch_op.create_index("ix_visit_answers_point_at", ["point_id", "at"], unique=False)
    op.create_table(
        "visit_comments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("moderated_by", BIG_ID, nullable=True),
        sa.Column("moderated_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["moderated_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["point_id"], ["points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit_comments", schema=None) as batch_op:
        batch_op.create_index("ix_visit_comments_status", ["status", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_comments_point_id"), ["point_id"], unique=False)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_index("ix_outbox_messages_due")
        # id last: a broadcast's rows share one due time, and a claim takes the oldest first
        batch_op.create_index(
            "ix_outbox_messages_due",
            ["channel", "priority", "next_attempt_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.create_index(
            "ix_outbox_messages_due", ["channel", "next_attempt_at"], unique=False
        )
        batch_op.drop_column("priority")
    for table in (
        "visit_comments",
        "visit_answers",
        "broadcasts",
        "alert_chats",
        "link_codes",
        "subscriptions",
        "chat_settings",
    ):
        op.drop_table(table)
