"""Read side of cases: filtered, sorted, keyset-paged lists (staff queue, public 公示 page, a unit's
待办), the timeline, linked posts and meetings, the banner on a topic, CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from markupsafe import Markup
from sqlalchemy import case as sql_case
from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from forum import labels
from forum.accounts.models import User
from forum.boards import markup
from forum.boards.models import Category, Post, Topic
from forum.boards.queries import users_by_id
from forum.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CasePost,
    Meeting,
    MeetingCase,
    Source,
    Status,
    Unit,
    UnitMember,
)
from forum.errors import Invalid, NotAuthenticated
from forum.keyset import decode_cursor, encode_cursor, from_micros, micros
from forum.timeutil import SHANGHAI, utcnow

SORTS = {"newest": "最新", "oldest": "最早", "due": "期限最近", "supports": "“我也遇到”最多"}


@dataclass
class CaseFilters:
    status: list[str] = field(default_factory=list)
    category_id: int | None = None
    unit_id: int | None = None
    handler_id: int | None = None
    building: str | None = None
    overdue: bool = False
    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "newest"

    def validate(self) -> CaseFilters:
        bad = [s for s in self.status if s not in set(Status)]
        if bad:
            raise Invalid("未知的状态筛选", field="status")
        if self.sort not in SORTS:
            raise Invalid("未知的排序方式", field="sort")
        if self.source and self.source not in labels.CASE_SOURCE:
            raise Invalid("未知的来源筛选", field="source")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise Invalid("开始日期不能晚于结束日期", field="date_from")
        return self


@dataclass
class CaseRow:
    case: Case
    category: str
    unit: str
    handler: str
    overdue: bool
    days_open: int


@dataclass
class CaseListing:
    rows: list[CaseRow]
    next_cursor: str | None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), SHANGHAI)


def case_list(
    session: Session,
    *,
    filters: CaseFilters,
    cursor: str | None = None,
    limit: int = 30,
    public: bool = False,
) -> CaseListing:
    """Cases matching the filters, in the chosen order, keyset-paged on (sort key, id)."""
    filters.validate()
    now = utcnow()
    query = select(Case)
    if public:
        query = query.where(col(Case.is_private).is_(False))
    if filters.status:
        query = query.where(col(Case.status).in_(filters.status))
    if filters.category_id:
        query = query.where(Case.category_id == filters.category_id)
    if filters.unit_id:
        query = query.where(Case.unit_id == filters.unit_id)
    if filters.handler_id:
        query = query.where(Case.handler_id == filters.handler_id)
    if filters.building:
        query = query.where(Case.building == filters.building)
    if filters.source:
        query = query.where(Case.source == filters.source)
    if filters.overdue:
        query = query.where(col(Case.status).in_(list(OPEN_STATUSES)), col(Case.due_at) < now)
    if filters.date_from:
        query = query.where(col(Case.created_at) >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(col(Case.created_at) < _day_start(filters.date_to + timedelta(days=1)))
    sort = filters.sort
    order: list[Any]
    if sort == "newest":
        order = [col(Case.id).desc()]
        if cursor:
            (last_id,) = decode_cursor(cursor, 1)
            query = query.where(col(Case.id) < last_id)
    elif sort == "oldest":
        order = [col(Case.id)]
        if cursor:
            (last_id,) = decode_cursor(cursor, 1)
            query = query.where(col(Case.id) > last_id)
    elif sort == "supports":
        order = [col(Case.support_count).desc(), col(Case.id).desc()]
        if cursor:
            count, last_id = decode_cursor(cursor, 2)
            query = query.where(tuple_(col(Case.support_count), col(Case.id)) < tuple_(count, last_id))
    else:  # due: soonest deadline first
        order = [col(Case.due_at), col(Case.id)]
        if cursor:
            due, last_id = decode_cursor(cursor, 2)
            query = query.where(tuple_(col(Case.due_at), col(Case.id)) > tuple_(from_micros(due), last_id))
    cases = list(session.exec(query.order_by(*order).limit(limit + 1)).all())
    next_cursor = None
    if len(cases) > limit:
        cases = cases[:limit]
        last = cases[-1]
        next_cursor = {
            "newest": lambda: encode_cursor(last.id),  # type: ignore[arg-type]
            "oldest": lambda: encode_cursor(last.id),  # type: ignore[arg-type]
            "supports": lambda: encode_cursor(last.support_count, last.id),  # type: ignore[arg-type]
            "due": lambda: encode_cursor(micros(last.due_at) if last.due_at else 0, last.id),  # type: ignore[arg-type]
        }[sort]()
    return CaseListing(rows(session, cases, now), next_cursor)


def rows(session: Session, cases: list[Case], now: datetime | None = None) -> list[CaseRow]:
    now = now or utcnow()
    categories = _names(session, Category, {c.category_id for c in cases})
    units = _names(session, Unit, {c.unit_id for c in cases})
    handlers = users_by_id(session, [c.handler_id for c in cases])
    out = []
    for case in cases:
        end = case.resolved_at if case.status not in OPEN_STATUSES and case.resolved_at else now
        out.append(
            CaseRow(
                case=case,
                category=categories.get(case.category_id, "未分类"),  # type: ignore[arg-type]
                unit=units.get(case.unit_id, "未指定"),  # type: ignore[arg-type]
                handler=handlers[case.handler_id].username if case.handler_id in handlers else "",
                overdue=case.is_overdue(now),
                days_open=max(0, (end - case.created_at).days),
            )
        )
    return out


def _names(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.exec(select(model.id, model.name).where(col(model.id).in_(wanted))).all())  # type: ignore[arg-type]


def handlers(session: Session) -> list[User]:
    """Staff who can be a case's handler (for the queue's filter)."""
    from forum.cases.workflow import STAFF_ROLES

    return list(
        session.exec(select(User).where(col(User.role).in_(list(STAFF_ROLES))).order_by(col(User.id))).all()
    )


def todo(session: Session, *, user: User, limit: int = 100) -> list[CaseRow]:
    """我的待办: open cases of the units this user answers for; overdue ones first, then each
    group by how long it has waited (creation time, oldest first)."""
    now = utcnow()
    unit_ids = select(UnitMember.unit_id).where(UnitMember.user_id == user.id)
    # "Waited longest" is the creation time: ids only follow the order rows were written in. A
    # case past its deadline outranks them all, or a late one could sit under a hundred others.
    overdue_first = sql_case((col(Case.due_at) < now, 0), else_=1)
    cases = list(
        session.exec(
            select(Case)
            .where(col(Case.unit_id).in_(unit_ids), col(Case.status).in_(list(OPEN_STATUSES)))
            .order_by(overdue_first, col(Case.created_at), col(Case.id))
            .limit(limit)
        ).all()
    )
    return rows(session, cases, now)


class MyCases(NamedTuple):
    reported: list[CaseRow]
    logged: list[CaseRow]


def my_cases(session: Session, *, viewer: User | None) -> MyCases:
    """我的民情意见: what the viewer reported, and what they logged for others."""
    if viewer is None:
        raise NotAuthenticated()
    return MyCases(reported_by(session, user=viewer), logged_by(session, user=viewer))


def reported_by(session: Session, *, user: User, private_too: bool = True, limit: int = 100) -> list[CaseRow]:
    """我的民情意见: the cases whose reporter is this user, newest first (private ones for the
    reporter and staff only)."""
    query = select(Case).where(Case.poster_id == user.id)
    if not private_too:
        # Others see what the person put in public themselves: not the private ones, nor what staff
        # recorded from a phone call or a visit on their behalf.
        query = query.where(
            col(Case.is_private).is_(False), col(Case.source).in_([Source.FORUM, Source.REPORT])
        )
    cases = session.exec(query.order_by(col(Case.id).desc()).limit(limit)).all()
    return rows(session, list(cases))


def logged_by(session: Session, *, user: User, limit: int = 100) -> list[CaseRow]:
    """The cases this user recorded for someone else (a 民情信息员's log, staff's offline cases)."""
    cases = session.exec(
        select(Case)
        .where(Case.opened_by_id == user.id, (col(Case.poster_id).is_(None)) | (Case.poster_id != user.id))
        .order_by(col(Case.id).desc())
        .limit(limit)
    ).all()
    return rows(session, list(cases))


@dataclass
class TimelineEntry:
    event: CaseEvent
    actor: User | None

    @property
    def note_html(self) -> Markup:
        """Notes take the same small markup as posts (lists, bold, quotes), sanitised."""
        return Markup(markup.render(self.event.note)) if self.event.note else Markup("")


def description_html(case: Case) -> Markup:
    return Markup(markup.render(case.description)) if case.description else Markup("")


def timeline(session: Session, *, case: Case, staff: bool) -> list[TimelineEntry]:
    """The case's events, oldest first; staff also see the private notes."""
    query = select(CaseEvent).where(CaseEvent.case_id == case.id)
    if not staff:
        query = query.where(col(CaseEvent.is_public).is_(True))
    events = list(session.exec(query.order_by(col(CaseEvent.id))).all())
    users = users_by_id(session, [e.actor_id for e in events])
    return [TimelineEntry(e, users.get(e.actor_id) if e.actor_id else None) for e in events]  # type: ignore[arg-type]


@dataclass
class LinkedPost:
    post: Post
    topic: Topic
    author: User


def linked_posts(session: Session, *, case: Case) -> list[LinkedPost]:
    found = session.exec(
        select(Post, Topic)
        .join(CasePost, col(CasePost.post_id) == Post.id)
        .join(Topic, col(Topic.id) == Post.topic_id)
        .where(CasePost.case_id == case.id)
        .order_by(col(Post.id))
    ).all()
    users = users_by_id(session, [p.author_id for p, _t in found])
    return [LinkedPost(p, t, users[p.author_id]) for p, t in found]


def meetings_of(session: Session, *, case: Case) -> list[Meeting]:
    return list(
        session.exec(
            select(Meeting)
            .join(MeetingCase, col(MeetingCase.meeting_id) == Meeting.id)
            .where(MeetingCase.case_id == case.id)
            .order_by(col(Meeting.starts_at))
        ).all()
    )


def cases_of_meeting(session: Session, *, meeting: Meeting) -> list[Case]:
    return list(
        session.exec(
            select(Case)
            .join(MeetingCase, col(MeetingCase.case_id) == Case.id)
            .where(MeetingCase.meeting_id == meeting.id)
            .order_by(col(Case.id))
        ).all()
    )


def list_meetings(session: Session, *, limit: int = 50) -> list[Meeting]:
    return list(session.exec(select(Meeting).order_by(col(Meeting.starts_at).desc()).limit(limit)).all())


@dataclass
class Banner:
    case_id: int
    status: str
    unit: str
    support_count: int


def banner_for_topic(session: Session, *, topic_id: int) -> Banner | None:
    """The case a topic was turned into, for the banner "已转为民情意见 #N · 处理中 · 物业公司"."""
    linked = select(CasePost.case_id).where(CasePost.topic_id == topic_id)
    case = session.exec(
        select(Case)
        .where(col(Case.id).in_(linked), col(Case.is_private).is_(False))
        .order_by(col(Case.id).desc())
        .limit(1)
    ).first()
    if case is None:
        return None
    unit = session.get(Unit, case.unit_id) if case.unit_id else None
    return Banner(case.id, case.status, unit.name if unit else "未指定单位", case.support_count)  # type: ignore[arg-type]


CSV_HEADER = [
    "编号",
    "标题",
    "状态",
    "分类",
    "责任单位",
    "经办人",
    "来源",
    "楼号",
    "优先级",
    "立案时间",
    "办理期限",
    "是否超期",
    "办理天数",
    "我也遇到",
    "评价",
]


def export_csv(rows_: Iterable[CaseRow]) -> str:
    """A CSV (UTF-8 with BOM, so Excel opens the Chinese correctly) of the given rows."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows_:
        c = r.case
        writer.writerow(
            [
                c.id,
                _cell(c.title),
                labels.CASE_STATUS[c.status],
                r.category,
                r.unit,
                r.handler,
                labels.CASE_SOURCE.get(c.source, c.source),
                _cell(c.building),
                labels.PRIORITY.get(c.priority, ""),
                c.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                c.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d") if c.due_at else "",
                "是" if r.overdue else "否",
                r.days_open,
                c.support_count,
                labels.RATING.get(c.rating or "", ""),
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (=, +, -, @) typed into a title."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
