"""征求意见 consultations: questions, options, answers, 民主评议.

Revision ID: 0005consultations
Revises: 0004notices
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import forum.timeutil

revision: str = "0005consultations"
down_revision: str | None = "0004notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("results_visible_before_close", sa.Boolean(), nullable=False),
        sa.Column("opens_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("closed_early_at", forum.timeutil.AwareDateTime(timezone=True), nullable=True),
        sa.Column("review_year", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_closes", ["closes_at", "id"], unique=False)
        batch_op.create_index("ix_consultation_opens", ["opens_at", "id"], unique=False)

    op.create_table(
        "consultation_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("prompt", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("criterion", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consultation_question", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consultation_question_position", ["consultation_id", "position"], unique=False
        )

    op.create_table(
        "consultation_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("household_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", forum.timeutil.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "household_key", name="uq_consultation_response_household"),
        sa.UniqueConstraint("consultation_id", "user_id", name="uq_consultation_response_user"),
    )
    with op.batch_alter_table("consultation_response", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_response_user", ["user_id"], unique=False)

    op.create_table(
        "consultation_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["consultation_question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consultation_option", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_option_position", ["question_id", "position"], unique=False)

    op.create_table(
        "consultation_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["option_id"], ["consultation_option.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["consultation_question.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["response_id"], ["consultation_response.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consultation_answer", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_answer_question", ["question_id", "option_id"], unique=False)
        batch_op.create_index("ix_consultation_answer_response", ["response_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consultation_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_answer_response")
        batch_op.drop_index("ix_consultation_answer_question")
    op.drop_table("consultation_answer")
    with op.batch_alter_table("consultation_option", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_option_position")
    op.drop_table("consultation_option")
    with op.batch_alter_table("consultation_response", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_response_user")
    op.drop_table("consultation_response")
    with op.batch_alter_table("consultation_question", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_question_position")
    op.drop_table("consultation_question")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_opens")
        batch_op.drop_index("ix_consultation_closes")
    op.drop_table("consultation")
