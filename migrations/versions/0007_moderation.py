"""Moderation: reports, moderator actions (audit), mutes and bans.

Tables: report (one member's 举报 of a post; one open report per post and member), reported_post
(the queue: posts with open reports, auto-hidden ones marked), moderation_action (the audit log).
Column: user.muted_until. A ban is user.is_active = false, which exists already.

Revision ID: 0007moderation
Revises: 0006mail
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import forum.timeutil

revision: str = "0007moderation"
down_revision: str | None = "0006mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "moderation_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["moderator_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"]),
        sa.ForeignKeyConstraint(["target_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("moderation_action", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_action_action", ["action", "id"], unique=False)
        batch_op.create_index("ix_moderation_action_moderator", ["moderator_id", "id"], unique=False)
        batch_op.create_index("ix_moderation_action_target", ["target_user_id", "id"], unique=False)

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"]),
        sa.ForeignKeyConstraint(["reporter_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index("ix_report_reporter", ["reporter_id", "id"], unique=False)
        batch_op.create_index(
            "uq_report_open",
            ["post_id", "reporter_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )

    op.create_table(
        "reported_post",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("open_reports", sa.Integer(), nullable=False),
        sa.Column("first_reported_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("last_reported_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("auto_hidden_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"]),
        sa.PrimaryKeyConstraint("post_id"),
    )
    with op.batch_alter_table("reported_post", schema=None) as batch_op:
        batch_op.create_index("ix_reported_post_queue", ["first_reported_at", "post_id"], unique=False)

    # Plain ADD/DROP COLUMN (SQLite has both): a batch copy of "user" would drop the table under
    # every foreign key that points at it.
    op.add_column(
        "user", sa.Column("muted_until", forum.timeutil.AwareDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("user", "muted_until")
    op.drop_index("ix_reported_post_queue", table_name="reported_post")
    op.drop_table("reported_post")
    op.drop_index("uq_report_open", table_name="report")
    op.drop_index("ix_report_reporter", table_name="report")
    op.drop_table("report")
    op.drop_index("ix_moderation_action_target", table_name="moderation_action")
    op.drop_index("ix_moderation_action_moderator", table_name="moderation_action")
    op.drop_index("ix_moderation_action_action", table_name="moderation_action")
    op.drop_table("moderation_action")
