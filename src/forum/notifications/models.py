"""The in-app inbox: someone replied to my topic, to my floor, or mentioned me."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

DETAIL_MAX = 120


class NotificationKind(StrEnum):
    REPLY_TOPIC = "reply_topic"
    REPLY_FLOOR = "reply_floor"
    MENTION = "mention"
    FOLLOWED_TOPIC = "followed_topic"
    CASE_UPDATE = "case_update"  # a public event on a case I posted, support or follow
    CASE_ASSIGNED = "case_assigned"  # a case given to my unit
    CASE_RATED = "case_rated"  # for staff: the poster rated a case
    CASE_OVERDUE = "case_overdue"  # for staff: a case passed its deadline
    CASE_FOLLOWUP = "case_followup"  # 回访: my case was resolved some days ago — 解决了吗？
    MOD_WARNING = "mod_warning"  # a moderator warned me (detail: the reason)
    MOD_MUTED = "mod_muted"  # a moderator muted me (detail: until when, and why)
    MOD_REJECTED = "mod_rejected"  # my post held for review was turned down (detail: what, and why)


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_inbox", "user_id", "read_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="user.id")  # None: the system
    topic_id: int | None = Field(default=None, foreign_key="topic.id")
    post_id: int | None = Field(default=None, foreign_key="post.id")
    case_id: int | None = Field(default=None, foreign_key="case_file.id")
    detail: str = Field(default="", max_length=DETAIL_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
