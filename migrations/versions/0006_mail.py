"""E-mail: verified addresses, preferences, the mail outbox.

Revision ID: 0006mail
Revises: 0005consultations
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import forum.timeutil

revision: str = "0006mail"
down_revision: str | None = "0005consultations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_address",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("verified_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True),
        sa.Column("verify_sent_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True),
        sa.Column("want_reply", sa.Boolean(), nullable=False),
        sa.Column("want_mention", sa.Boolean(), nullable=False),
        sa.Column("want_case", sa.Boolean(), nullable=False),
        sa.Column("want_notice", sa.Boolean(), nullable=False),
        sa.Column("want_consultation", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("last_digest_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("to_addr", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("unsubscribe_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_due", ["status", "next_attempt_at", "id"], unique=False)

    op.create_table(
        "mail_digest_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("feed", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("line", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_digest_item", schema=None) as batch_op:
        batch_op.create_index("ix_mail_digest_item_user", ["user_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_digest_item", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_digest_item_user")
    op.drop_table("mail_digest_item")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_due")
    op.drop_table("mail_outbox")
    op.drop_table("mail_address")
