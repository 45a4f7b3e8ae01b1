"""民情意见 cases: units that act on them, the case itself, its events (timeline and audit log),
linked posts, supports, followers, and coordination meetings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

# A unit as a client names it: its id or its name.
UnitRef = Annotated[int, PField(ge=1, le=2**62)] | Annotated[str, PField(max_length=40)]


class Status(StrEnum):
    SUBMITTED = "submitted"  # 新提交
    ACCEPTED = "accepted"  # 已受理
    IN_PROGRESS = "in_progress"  # 处理中
    RESOLVED = "resolved"  # 已解决
    RATED = "rated"  # 已评价: the resident answered the 回访 with 满意 / 基本满意
    FOLLOWED_UP = "followed_up"  # 已回访: staff called or visited the resident
    CLOSED = "closed"  # 已归档
    REJECTED = "rejected"  # 不予受理
    DUPLICATE = "duplicate"  # 重复


OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS})


class Source(StrEnum):
    FORUM = "forum"  # 论坛帖子
    REPORT = "report"  # 我要反映: the resident filed it themselves
    VISIT = "visit"  # 走访
    PHONE = "phone"  # 电话
    WALK_IN = "walk_in"  # 来访
    CONTACT_CARD = "contact_card"  # 民情联系卡
    LOG = "log"  # 民情日志


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Rating(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class MeetingKind(StrEnum):
    COORDINATION = "coordination"  # 协调会
    TALK = "talk"  # 民情恳谈会
    MEDIATION = "mediation"  # 民事协调会
    HEARING = "hearing"  # 民意听证会
    REVIEW = "review"  # 民主评议会


class Unit(SQLModel, table=True):
    """Whoever can act on a concern: 物业公司, 驻区单位, 施工单位, 街道科室 … (admin-edited)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, unique=True)
    kind: str = Field(default="", max_length=20)
    phone: str = Field(default="", max_length=30)
    position: int = 0
    is_active: bool = True


class UnitMember(SQLModel, table=True):
    """A user who answers for a unit (its 联系人)."""

    __tablename__ = "unit_member"
    __table_args__ = (Index("ix_unit_member_user", "user_id", "unit_id"),)

    unit_id: int = Field(foreign_key="unit.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")


class CategoryRoute(SQLModel, table=True):
    """A category's default responsible unit and deadline."""

    __tablename__ = "category_route"

    category_id: int = Field(foreign_key="category.id", primary_key=True, ondelete="CASCADE")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    deadline_days: int = 7


class Case(SQLModel, table=True):
    __tablename__ = "case_file"  # "case" is an SQL keyword
    __table_args__ = (
        Index("ix_case_status", "status", "id"),
        Index("ix_case_unit_status", "unit_id", "status", "id"),
        Index("ix_case_category", "category_id", "id"),
        Index("ix_case_handler", "handler_id", "id"),
        Index("ix_case_due", "due_at", "id"),
        Index("ix_case_building", "building", "id"),
        Index("ix_case_source", "source", "id"),
        Index("ix_case_created", "created_at", "id"),
        Index("ix_case_topic", "topic_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=60)
    description: str = Field(default="", max_length=5000)
    status: str = Field(default=Status.SUBMITTED, max_length=16)
    # Bumped on every change: a stale form or a racing request cannot overwrite a newer state.
    version: int = 1
    category_id: int | None = Field(default=None, foreign_key="category.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    handler_id: int | None = Field(default=None, foreign_key="user.id")
    priority: str = Field(default=Priority.NORMAL, max_length=10)
    source: str = Field(default=Source.FORUM, max_length=16)
    poster_id: int | None = Field(default=None, foreign_key="user.id")
    opened_by_id: int = Field(foreign_key="user.id")
    topic_id: int | None = Field(default=None, foreign_key="topic.id")
    building: str = Field(default="", max_length=10)
    entrance: str = Field(default="", max_length=10)  # 单元
    location: str = Field(default="", max_length=100)
    # How the reporter wants to be reached (staff and the unit only).
    contact: str = Field(default="", max_length=60)
    household_id: int | None = Field(default=None, foreign_key="household.id")
    is_private: bool = False
    due_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    followed_up_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    rated_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    # 回访: when the reporter was asked 解决了吗, and when no answer came in time (未评价).
    followup_asked_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    unrated_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    closed_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    overdue_notified_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    resolution_count: int = 0
    merged_into_id: int | None = Field(default=None, foreign_key="case_file.id")
    support_count: int = 0
    rating: str | None = Field(default=None, max_length=12)
    rating_comment: str | None = Field(default=None, max_length=500)

    def is_overdue(self, now: datetime) -> bool:
        return self.status in OPEN_STATUSES and self.due_at is not None and self.due_at < now


class CasePost(SQLModel, table=True):
    """A post gathered into a case; a post belongs to at most one case."""

    __tablename__ = "case_post"
    __table_args__ = (
        UniqueConstraint("post_id", name="uq_case_post_post"),
        Index("ix_case_post_topic", "topic_id"),
    )

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    post_id: int = Field(foreign_key="post.id", primary_key=True)
    topic_id: int = Field(foreign_key="topic.id")


class CaseEvent(SQLModel, table=True):
    """One thing that happened to a case: append-only. Public events form the timeline."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id")
    actor_id: int | None = Field(default=None, foreign_key="user.id")  # None: the system
    kind: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str = Field(default="", max_length=2000)
    detail: str = Field(default="", max_length=200)  # e.g. "物业公司 → 施工单位", a new due date
    is_public: bool = True
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class RequestKind(StrEnum):
    RETURN = "return"  # 退单: not our responsibility
    REASSIGN = "reassign"  # 改派申请: another unit should take it
    EXTEND = "extend"  # 延期申请: more time, until a new date


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class CaseRequest(SQLModel, table=True):
    """A unit pushing back on a case it was given; staff approve or refuse it."""

    __tablename__ = "case_request"
    __table_args__ = (
        Index("ix_case_request_case", "case_id", "id"),
        Index("ix_case_request_pending", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id")
    kind: str = Field(max_length=10)
    status: str = Field(default=RequestStatus.PENDING, max_length=10)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")  # the unit that asks
    requested_by_id: int = Field(foreign_key="user.id")
    reason: str = Field(max_length=500)
    proposed_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    proposed_due_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decision_note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))


class PhotoKind(StrEnum):
    REPORT = "report"  # with the resident's report or update
    BEFORE = "before"  # 整改前
    AFTER = "after"  # 整改后


class CasePhoto(SQLModel, table=True):
    """A picture attached to a case (its own report, an update, the fix), with the event it came with."""

    __tablename__ = "case_photo"
    __table_args__ = (Index("ix_case_photo_case", "case_id", "image_id"),)

    image_id: int = Field(foreign_key="image.id", primary_key=True)
    case_id: int = Field(foreign_key="case_file.id")
    event_id: int | None = Field(default=None, foreign_key="case_event.id")
    kind: str = Field(default=PhotoKind.REPORT, max_length=10)


class CaseSupport(SQLModel, table=True):
    """我也遇到: one per user per case."""

    __tablename__ = "case_support"
    __table_args__ = (Index("ix_case_support_user", "user_id"),)

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class CaseFollow(SQLModel, table=True):
    __tablename__ = "case_follow"
    __table_args__ = (Index("ix_case_follow_user", "user_id"),)

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)


class Meeting(SQLModel, table=True):
    """A 协调会 or one of the 四会, with the cases it discussed."""

    __table_args__ = (Index("ix_meeting_starts", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=60)
    starts_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    ends_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    place: str = Field(max_length=60)
    attendees: str = Field(default="", max_length=1000)
    minutes: str = Field(default="", max_length=10000)
    decisions: str = Field(default="", max_length=5000)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class MeetingCase(SQLModel, table=True):
    __tablename__ = "meeting_case"
    __table_args__ = (Index("ix_meeting_case_case", "case_id"),)

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", primary_key=True)


# --- API schemas -----------------------------------------------------------------------------


class CaseOpen(BaseModel):
    """我要反映 (no topic, reply or source: the caller's own concern, any resident), 提交给社区 (a
    resident's own `topic_id`), or for staff and 民情信息员: flag a topic or reply, or record a
    concern heard offline (`source`)."""

    topic_id: int | None = PField(default=None, ge=1, le=2**62)
    reply_id: int | None = PField(default=None, ge=1, le=2**62)
    title: str | None = PField(default=None, max_length=240)
    description: str | None = PField(default=None, max_length=10000)
    source: Source | None = None
    category: str | None = PField(default=None, max_length=32)
    unit: UnitRef | None = None
    building: str | None = PField(default=None, max_length=40)
    entrance: str | None = PField(default=None, max_length=40)  # 单元
    location: str | None = PField(default=None, max_length=200)
    priority: Priority = Priority.NORMAL
    is_private: bool = False
    resident: str | None = PField(default=None, max_length=20)  # offline: the resident's username
    contact: str | None = PField(default=None, max_length=200)  # 我要反映: how to reach the reporter


class CaseEventCreate(BaseModel):
    action: str = PField(max_length=20)
    note: str = PField(default="", max_length=4000)
    version: int | None = PField(default=None, ge=1, le=2**62)
    rating: Rating | None = None
    into: int | None = PField(default=None, ge=1, le=2**62)  # merge target
    unit: UnitRef | None = None
    handler: str | None = PField(default=None, max_length=20)
    due_date: str | None = PField(default=None, max_length=20)
    private: bool = False
    request_id: int | None = PField(default=None, ge=1, le=2**62)  # approve_request / refuse_request


class CaseEventPublic(BaseModel):
    id: int
    kind: str
    actor: str | None
    from_status: str | None
    to_status: str | None
    note: str
    detail: str
    is_public: bool
    meeting_id: int | None
    created_at: datetime


class PhotoPublic(BaseModel):
    url: str
    thumbnail_url: str
    kind: str  # post | report | before | after
    event_id: int | None


class CaseRequestPublic(BaseModel):
    id: int
    kind: str  # return | reassign | extend
    status: str  # pending | approved | refused
    reason: str
    proposed_unit_id: int | None
    proposed_due_at: datetime | None
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class CasePublic(BaseModel):
    id: int
    title: str
    description: str
    status: str
    version: int
    category: str
    unit: str
    handler: str
    priority: str
    source: str
    building: str
    entrance: str
    location: str
    topic_id: int | None
    post_ids: list[int] = []
    photos: list[PhotoPublic] = []
    due_at: datetime | None
    overdue: bool
    days_open: int
    support_count: int
    rating: str | None
    rating_comment: str | None
    rated_at: datetime | None
    followed_up_at: datetime | None
    unrated_at: datetime | None
    merged_into_id: int | None
    is_private: bool
    created_at: datetime
    updated_at: datetime


class CaseDetail(CasePublic):
    timeline: list[CaseEventPublic]
    requests: list[CaseRequestPublic] = []  # units' requests: for staff and the unit


class CasePage(BaseModel):
    items: list[CasePublic]
    next_cursor: str | None


class MeetingCreate(BaseModel):
    kind: MeetingKind
    title: str = PField(max_length=240)
    starts_at: datetime
    ends_at: datetime | None = None
    place: str = PField(max_length=240)
    attendees: str = PField(default="", max_length=2000)
    minutes: str = PField(default="", max_length=20000)
    decisions: str = PField(default="", max_length=10000)
    case_ids: list[Annotated[int, PField(ge=1, le=2**62)]] = PField(default_factory=list, max_length=50)


class MeetingPublic(BaseModel):
    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    attendees: str
    minutes: str
    decisions: str
    case_ids: list[int]
