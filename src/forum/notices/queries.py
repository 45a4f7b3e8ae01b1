"""Read side of notices: the list (pinned first, then newest, keyset-paged), what a notice page
shows (attachments, versions, read counts, comment floors), each in a fixed number of queries.
`readable` is the one place that decides which notices a viewer may list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards import queries as board_queries
from forum.boards.models import Topic
from forum.boards.queries import users_by_id
from forum.errors import Invalid
from forum.keyset import pinned_then_newest
from forum.notices.models import Notice, NoticeAttachment, NoticeCategory, NoticeRead, NoticeVersion
from forum.notices.service import is_staff, verified_households
from forum.timeutil import utcnow


def readable(query: Any, *, viewer: User | None, now: datetime) -> Any:
    """Staff see every notice; everyone else the published ones that were not withdrawn."""
    if is_staff(viewer):
        return query
    return query.where(col(Notice.publish_at) <= now, col(Notice.withdrawn_at).is_(None))


def parse_category(value: str | None) -> str | None:
    if not value:
        return None
    if value not in set(NoticeCategory):
        raise Invalid("未知的公告类别", field="category")
    return value


@dataclass
class NoticeRow:
    notice: Notice
    author: User
    comment_count: int
    attachment_count: int
    read_count: int | None  # staff only


@dataclass
class NoticeListing:
    pinned: list[NoticeRow]
    rows: list[NoticeRow]
    next_cursor: str | None
    households: int | None  # verified households, for staff


def notice_list(
    session: Session,
    *,
    viewer: User | None,
    category: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> NoticeListing:
    """Pinned notices on the first page, then the rest by publish time, newest first."""
    now = now or utcnow()

    def base(query: Any) -> Any:
        query = readable(query, viewer=viewer, now=now)
        return query.where(Notice.category == category) if category else query

    pinned, page, next_cursor = pinned_then_newest(
        session, base(select(Notice)), model=Notice, time_field="publish_at", cursor=cursor, limit=limit
    )
    rows = notice_rows(session, pinned + page, staff=is_staff(viewer))
    households = verified_households(session) if is_staff(viewer) else None
    return NoticeListing(rows[: len(pinned)], rows[len(pinned) :], next_cursor, households)


def _counts(session: Session, column: Any, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(session.exec(select(column, func.count()).where(column.in_(ids)).group_by(column)).all())  # type: ignore[arg-type]


def notice_rows(session: Session, notices: list[Notice], *, staff: bool) -> list[NoticeRow]:
    ids = [n.id for n in notices]
    users = users_by_id(session, [n.author_id for n in notices])
    topic_ids = [n.topic_id for n in notices if n.topic_id]
    replies = (
        dict(session.exec(select(Topic.id, Topic.reply_count).where(col(Topic.id).in_(topic_ids))).all())
        if topic_ids
        else {}
    )
    attachments = _counts(session, col(NoticeAttachment.notice_id), ids)  # type: ignore[arg-type]
    reads = _counts(session, col(NoticeRead.notice_id), ids) if staff else {}  # type: ignore[arg-type]
    return [
        NoticeRow(
            n,
            users[n.author_id],
            replies.get(n.topic_id, 0) if n.topic_id else 0,
            attachments.get(n.id, 0),  # type: ignore[arg-type]
            reads.get(n.id, 0) if staff else None,  # type: ignore[arg-type]
        )
        for n in notices
    ]


def attachments_of(session: Session, notice: Notice) -> list[NoticeAttachment]:
    return list(
        session.exec(
            select(NoticeAttachment)
            .where(NoticeAttachment.notice_id == notice.id)
            .order_by(col(NoticeAttachment.id))
        ).all()
    )


def version_count(session: Session, notice: Notice) -> int:
    return session.exec(
        select(func.count()).select_from(NoticeVersion).where(NoticeVersion.notice_id == notice.id)
    ).one()


def read_count(session: Session, notice: Notice) -> int:
    return session.exec(
        select(func.count()).select_from(NoticeRead).where(NoticeRead.notice_id == notice.id)
    ).one()


@dataclass
class VersionView:
    version: NoticeVersion
    editor: User


def version_views(session: Session, items: list[NoticeVersion]) -> list[VersionView]:
    users = users_by_id(session, [v.editor_id for v in items])
    return [VersionView(v, users[v.editor_id]) for v in items]


@dataclass
class NoticePageView:
    notice: Notice
    author: User
    attachments: list[NoticeAttachment]
    topic: Topic | None
    # Comment floors (the topic's floors from 2 on) of the page shown, with their 楼中楼.
    floors: list[board_queries.PostView] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    read_count: int | None = None  # staff only
    households: int | None = None  # staff only
    withdrawn_by: User | None = None


def notice_page(
    session: Session,
    *,
    notice: Notice,
    viewer: User | None,
    page: int = 1,
    per_page: int = 30,
    subs_shown: int = 3,
) -> NoticePageView:
    author = session.get(User, notice.author_id)
    assert author is not None
    topic = session.get(Topic, notice.topic_id) if notice.topic_id else None
    view = NoticePageView(notice, author, attachments_of(session, notice), topic)
    if topic is not None and topic.floor_count > 1:
        floors = board_queries.topic_page(
            session, topic=topic, viewer=viewer, page=page, per_page=per_page, subs_shown=subs_shown
        )
        view.floors = [f for f in floors.floors if f.post.floor != 1]
        view.page, view.pages = floors.page, floors.pages
    if is_staff(viewer):
        view.read_count = read_count(session, notice)
        view.households = verified_households(session)
        if notice.withdrawn_by_id:
            view.withdrawn_by = session.get(User, notice.withdrawn_by_id)
    return view
