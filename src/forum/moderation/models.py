"""Reports of posts, the per-post review state, and the audit log of every moderator action."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, Index, text
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

REPORT_TEXT_MAX = 200
REASON_MAX = 200
MUTE_DAYS = (1, 3, 7, 30)


class ReportReason(StrEnum):
    AD = "ad"  # 广告
    ABUSE = "abuse"  # 辱骂
    PRIVACY = "privacy"  # 泄露隐私
    FALSE_INFO = "false_info"  # 不实信息
    OTHER = "other"  # 其他 (text required)


class Resolution(StrEnum):
    DISMISSED = "dismissed"  # nothing wrong: the reports are closed, an auto-hide undone
    HIDDEN = "hidden"
    DELETED = "deleted"


class QueueAction(StrEnum):
    """What staff may do with a reported post from the queue."""

    DISMISS = "dismiss"
    HIDE = "hide"
    DELETE = "delete"
    WARN = "warn"
    MUTE = "mute"
    BAN = "ban"


class AuditAction(StrEnum):
    DISMISS_REPORTS = "dismiss_reports"
    AUTO_HIDE = "auto_hide"
    HIDE_POST = "hide_post"
    RESTORE_POST = "restore_post"
    DELETE_POST = "delete_post"
    PIN = "pin"
    UNPIN = "unpin"
    FEATURE = "feature"
    UNFEATURE = "unfeature"
    LOCK = "lock"
    UNLOCK = "unlock"
    MOVE_TOPIC = "move_topic"
    WARN = "warn"
    MUTE = "mute"
    UNMUTE = "unmute"
    BAN = "ban"
    UNBAN = "unban"
    SET_ROLE = "set_role"
    APPROVE_HOUSEHOLD = "approve_household"
    REJECT_HOUSEHOLD = "reject_household"


class Report(SQLModel, table=True):
    """One person's 举报 of one post. Open until staff act on the post (or dismiss)."""

    __table_args__ = (
        # One open report per post and reporter; after a decision they may report again.
        Index(
            "uq_report_open",
            "post_id",
            "reporter_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_report_reporter", "reporter_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id")
    reporter_id: int = Field(foreign_key="user.id")
    reason: str = Field(max_length=16)
    text: str = Field(default="", max_length=REPORT_TEXT_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    resolution: str | None = Field(default=None, max_length=16)
    resolved_by_id: int | None = Field(default=None, foreign_key="user.id")


class ReportedPost(SQLModel, table=True):
    """A post waiting in the moderation queue: one row while it has open reports. Auto-hidden
    posts (enough independent reports) come first, then the longest waiting."""

    __tablename__ = "reported_post"
    __table_args__ = (Index("ix_reported_post_queue", "first_reported_at", "post_id"),)

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    open_reports: int = 0
    first_reported_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    last_reported_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    auto_hidden_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))


class ModerationAction(SQLModel, table=True):
    """The audit log: who did what to whom, and why. moderator_id None is the system (auto-hide)."""

    __tablename__ = "moderation_action"
    __table_args__ = (
        Index("ix_moderation_action_moderator", "moderator_id", "id"),
        Index("ix_moderation_action_action", "action", "id"),
        Index("ix_moderation_action_target", "target_user_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    moderator_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=24)
    target_user_id: int | None = Field(default=None, foreign_key="user.id")
    topic_id: int | None = Field(default=None, foreign_key="topic.id")
    post_id: int | None = Field(default=None, foreign_key="post.id")
    reason: str = Field(default="", max_length=REASON_MAX)
    details: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


# --- API schemas -----------------------------------------------------------------------------


class ReportCreate(BaseModel):
    reason: ReportReason
    text: str = PField(default="", max_length=REPORT_TEXT_MAX * 2)


class ReportPublic(BaseModel):
    id: int
    post_id: int
    reason: str
    text: str
    created_at: datetime


class ModerationDecision(BaseModel):
    reason: str = PField(default="", max_length=REASON_MAX * 2)
    days: int | None = PField(default=None, ge=1, le=30, description="for mute: 1, 3, 7 or 30")


class QueueReporter(BaseModel):
    username: str
    reason: str
    text: str
    created_at: datetime


class QueueItemPublic(BaseModel):
    post_id: int
    topic_id: int
    topic_title: str
    floor: int | None
    author_id: int
    author: str
    excerpt: str
    state: str
    auto_hidden: bool
    report_count: int
    report_weight: float  # the reports' weight together (moderation.weight), against the threshold
    reasons: dict[str, int]
    reporters: list[QueueReporter]
    first_reported_at: datetime
    last_reported_at: datetime


class QueuePage(BaseModel):
    items: list[QueueItemPublic]
    page: int
    has_more: bool


class SanctionResult(BaseModel):
    user_id: int
    is_active: bool
    muted_until: datetime | None
