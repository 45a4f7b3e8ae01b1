"""居务公开 notices: the notice, every version of its text, its attachments (PDFs and images) and
which verified households have read it. Comments live in a companion topic on the 居务公开 board."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

# The title and body also become the companion topic's title and 1楼, so the forum's limits hold.
TITLE_MAX = 60
BODY_MAX = 10_000
REASON_MAX = 200
FILENAME_MAX = 120
MAX_ATTACHMENTS = 10


class NoticeCategory(StrEnum):
    ANNOUNCEMENT = "announcement"  # 通知公告
    FINANCE = "finance"  # 财务公开
    MINUTES = "minutes"  # 会议纪要
    REVIEW = "review"  # 评议结果
    GUIDE = "guide"  # 办事指南


class Notice(SQLModel, table=True):
    __table_args__ = (
        # The list: pinned first, then newest published, keyset-paged on (publish_at, id).
        Index("ix_notice_listing", "is_pinned", "publish_at", "id"),
        Index("ix_notice_category", "category", "publish_at", "id"),
        # Notices due to be published that have no comment topic yet.
        Index("ix_notice_due", "topic_id", "publish_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)
    # Sanitised HTML rendered once at write time.
    body_html: str
    category: str = Field(max_length=16)
    author_id: int = Field(foreign_key="user.id")
    # Public from this moment on; a future time is a scheduled notice.
    publish_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    is_pinned: bool = False
    comments_closed: bool = False
    # The number of the current version; bumped by every edit of a published notice.
    version: int = 1
    edited_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    withdrawn_by_id: int | None = Field(default=None, foreign_key="user.id")
    withdraw_reason: str = Field(default="", max_length=REASON_MAX)
    # The companion topic on 居务公开 that holds the comments; made when the notice is published.
    topic_id: int | None = Field(default=None, foreign_key="topic.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))

    def is_public(self, now: datetime) -> bool:
        return self.withdrawn_at is None and self.publish_at <= now

    @property
    def is_edited(self) -> bool:
        return self.version > 1


class NoticeVersion(SQLModel, table=True):
    """One version of a notice's text, current included: public records are never silently rewritten."""

    __tablename__ = "notice_version"
    __table_args__ = (UniqueConstraint("notice_id", "number", name="uq_notice_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", ondelete="CASCADE")
    number: int
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)
    category: str = Field(max_length=16)
    editor_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class AttachmentKind(StrEnum):
    PDF = "pdf"
    IMAGE = "image"


class NoticeAttachment(SQLModel, table=True):
    """A PDF or picture attached to a notice, checked by its content and stored under a generated key."""

    __tablename__ = "notice_attachment"
    __table_args__ = (Index("ix_notice_attachment_notice", "notice_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", ondelete="CASCADE")
    key: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=8)
    content_type: str = Field(max_length=40)
    ext: str = Field(max_length=5)
    filename: str = Field(max_length=FILENAME_MAX)
    size: int
    width: int | None = None
    height: int | None = None
    pages: int | None = None
    uploader_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class NoticeRead(SQLModel, table=True):
    """A verified household opened the notice (counted once per household)."""

    __tablename__ = "notice_read"

    notice_id: int = Field(foreign_key="notice.id", primary_key=True, ondelete="CASCADE")
    household_id: int = Field(foreign_key="household.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    read_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


# --- API schemas -----------------------------------------------------------------------------


class NoticeCreate(BaseModel):
    title: str = PField(max_length=TITLE_MAX * 4)
    body: str = PField(max_length=BODY_MAX * 2)
    category: str = PField(max_length=16)
    publish_at: datetime | None = None  # None: now
    pinned: bool = False
    comments_closed: bool = False


class NoticeUpdate(BaseModel):
    title: str | None = PField(default=None, max_length=TITLE_MAX * 4)
    body: str | None = PField(default=None, max_length=BODY_MAX * 2)
    category: str | None = PField(default=None, max_length=16)
    publish_at: datetime | None = None  # only while the notice is still scheduled
    pinned: bool | None = None
    comments_closed: bool | None = None
    # The version the client edited; a newer one on the server is a 409.
    version: int | None = PField(default=None, ge=1, le=10**6)


class NoticeWithdraw(BaseModel):
    reason: str = PField(max_length=REASON_MAX * 4)


class AttachmentPublic(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    url: str


class NoticePublic(BaseModel):
    id: int
    title: str
    category: str
    category_label: str
    author: str
    publish_at: datetime
    is_pinned: bool
    comments_closed: bool
    version: int
    edited_at: datetime | None
    topic_id: int | None
    comment_count: int
    url: str
    # Staff only (None for everyone else).
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None
    read_households: int | None = None


class NoticeDetail(NoticePublic):
    body: str
    body_html: str
    attachments: list[AttachmentPublic]
    version_count: int


class NoticeVersionPublic(BaseModel):
    number: int
    title: str
    body: str
    category: str
    editor: str
    created_at: datetime


class NoticePage(BaseModel):
    items: list[NoticePublic]
    next_cursor: str | None
