"""Guards: sensitive words, rate-limit counters, held posts.

Revision ID: 0008guards
Revises: 0007moderation
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import forum.timeutil

revision: str = "0008guards"
down_revision: str | None = "0007moderation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sensitive_word",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("normalized", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("normalized"),
    )
    version = op.create_table(
        "word_list_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(version, [{"id": 1, "stamp": secrets.token_hex(8)}])
    op.create_table(
        "rate_counter",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("window_start", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start"),
    )
    op.create_index("ix_rate_counter_window", "rate_counter", ["window_start"], unique=False)
    op.add_column("topic", sa.Column("held_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True))
    op.add_column("post", sa.Column("held_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True))
    op.create_index("ix_post_held", "post", ["held_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_post_held", table_name="post")
    with op.batch_alter_table("post") as batch:
        batch.drop_column("held_at")
    with op.batch_alter_table("topic") as batch:
        batch.drop_column("held_at")
    op.drop_index("ix_rate_counter_window", table_name="rate_counter")
    op.drop_table("rate_counter")
    op.drop_table("word_list_version")
    op.drop_table("sensitive_word")
