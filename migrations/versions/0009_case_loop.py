"""Closing the loop on cases: residents' own reports (单元, how to be reached), the 回访 (asked,
rated, 未评价) as distinct facts, units' requests (退单, 改派, 延期), photos on cases, and floors
that echo a case's progress in its thread.

A resident's rating used to set 已回访; such cases become 已评价 (rated_at takes the time), so a
rating and a staff call-back can be told apart from now on.

Revision ID: 0009caseloop
Revises: 0008guards
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import forum.timeutil

revision: str = "0009caseloop"
down_revision: str | None = "0008guards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AWARE = forum.timeutil.AwareDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(
            sa.Column(
                "entrance", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=""
            )
        )
        batch.add_column(
            sa.Column(
                "contact", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default=""
            )
        )
        batch.add_column(sa.Column("rated_at", _AWARE, nullable=True))
        batch.add_column(sa.Column("followup_asked_at", _AWARE, nullable=True))
        batch.add_column(sa.Column("unrated_at", _AWARE, nullable=True))
    with op.batch_alter_table("post") as batch:
        batch.add_column(
            sa.Column(
                "origin", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False, server_default=""
            )
        )
    op.create_table(
        "case_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("proposed_unit_id", sa.Integer(), nullable=True),
        sa.Column("proposed_due_at", _AWARE, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", _AWARE, nullable=False),
        sa.Column("decided_at", _AWARE, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["proposed_unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_request_case", "case_request", ["case_id", "id"], unique=False)
    op.create_index("ix_case_request_pending", "case_request", ["status", "id"], unique=False)
    op.create_table(
        "case_photo",
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["case_event.id"]),
        sa.ForeignKeyConstraint(["image_id"], ["image.id"]),
        sa.PrimaryKeyConstraint("image_id"),
    )
    op.create_index("ix_case_photo_case", "case_photo", ["case_id", "image_id"], unique=False)
    # A 满意 / 基本满意 by the resident was stored as 已回访; say what it was. (A 不满意 reopened the
    # case, so a followed_up_at beside one is a staff call-back after a later resolution.)
    op.execute(
        "UPDATE case_file SET rated_at = followed_up_at, followed_up_at = NULL"
        " WHERE rating IN ('satisfied', 'basically') AND followed_up_at IS NOT NULL"
    )
    op.execute("UPDATE case_file SET status = 'rated' WHERE status = 'followed_up' AND rated_at IS NOT NULL")
    op.execute("UPDATE case_event SET to_status = 'rated' WHERE kind = 'rate' AND to_status = 'followed_up'")


def downgrade() -> None:
    op.execute("UPDATE case_event SET to_status = 'followed_up' WHERE to_status = 'rated'")
    op.execute(
        "UPDATE case_file SET followed_up_at = rated_at WHERE status = 'rated' AND followed_up_at IS NULL"
    )
    op.execute("UPDATE case_file SET status = 'followed_up' WHERE status = 'rated'")
    op.drop_index("ix_case_photo_case", table_name="case_photo")
    op.drop_table("case_photo")
    op.drop_index("ix_case_request_pending", table_name="case_request")
    op.drop_index("ix_case_request_case", table_name="case_request")
    op.drop_table("case_request")
    with op.batch_alter_table("post") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("unrated_at")
        batch.drop_column("followup_asked_at")
        batch.drop_column("rated_at")
        batch.drop_column("contact")
        batch.drop_column("entrance")
