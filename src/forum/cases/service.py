"""The 民情意见 rules: opening cases from posts or offline, moving them through the workflow,
routing to units, deadlines, merging, supports, rating, archiving, meetings. Every change is a
CaseEvent; every status change is a compare-and-set on (status, version), so of two racing
requests exactly one wins. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forum.accounts.models import Household, User
from forum.boards.models import Category, Post, Topic, TopicTag
from forum.boards.service import clean_body, clean_text, clean_title
from forum.cases.models import (
    Case,
    CaseEvent,
    CaseFollow,
    CasePost,
    CaseSupport,
    CategoryRoute,
    Meeting,
    MeetingCase,
    MeetingKind,
    Priority,
    Rating,
    Source,
    Status,
    Unit,
    UnitMember,
)
from forum.cases.workflow import RULES, CaseAction, Party, check, parties
from forum.errors import Conflict, Invalid, NotFound
from forum.notifications.models import Notification, NotificationKind
from forum.policy import Action, can, require
from forum.timeutil import SHANGHAI, utcnow

A = CaseAction
STALE = "该民情意见刚刚已被他人更新，请刷新页面后重试"


def _execute(session: Session, statement: Any) -> Any:
    return session.execute(statement, execution_options={"synchronize_session": False})


# --- units and routing ---------------------------------------------------------------------------


def list_units(session: Session, *, active_only: bool = False) -> list[Unit]:
    query = select(Unit).order_by(col(Unit.position), col(Unit.id))
    if active_only:
        query = query.where(col(Unit.is_active).is_(True))
    return list(session.exec(query).all())


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("单位不存在")
    return unit


def find_unit(session: Session, ref: str | int | None) -> Unit | None:
    """A unit by id or by name; None for an empty reference, Invalid for an unknown one."""
    if ref is None or ref == "":
        return None
    unit = None
    if isinstance(ref, int) or str(ref).isdigit():
        unit = session.get(Unit, int(ref))
    if unit is None:
        unit = session.exec(select(Unit).where(Unit.name == str(ref).strip())).first()
    if unit is None:
        raise Invalid("未知的责任单位", field="unit")
    return unit


def create_unit(session: Session, *, actor: User | None, name: str, kind: str = "", phone: str = "") -> Unit:
    require(actor, Action.MANAGE_UNITS)
    name = re.sub(r"\s+", " ", clean_text(name))
    if not name or len(name) > 40:
        raise Invalid("单位名称须为 1–40 个字", field="name")
    if session.exec(select(Unit.id).where(Unit.name == name)).first() is not None:
        raise Conflict("已有同名的单位", field="name")
    position = session.exec(select(func.coalesce(func.max(Unit.position), 0))).one() + 1
    unit = Unit(name=name, kind=clean_text(kind)[:20], phone=clean_text(phone)[:30], position=position)
    session.add(unit)
    session.flush()
    return unit


def set_unit_member(session: Session, *, actor: User | None, unit: Unit, user: User, on: bool = True) -> None:
    """Make a user a contact of a unit (or stop); contacts see and answer the unit's cases."""
    require(actor, Action.MANAGE_UNITS)
    row = session.get(UnitMember, (unit.id, user.id))
    if on and row is None:
        session.add(UnitMember(unit_id=unit.id, user_id=user.id))  # type: ignore[arg-type]
    elif not on and row is not None:
        session.delete(row)
    session.flush()


def unit_ids_of(session: Session, user: User | None) -> frozenset[int]:
    if user is None:
        return frozenset()
    return frozenset(session.exec(select(UnitMember.unit_id).where(UnitMember.user_id == user.id)).all())


def unit_members(session: Session, unit_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(UnitMember, col(UnitMember.user_id) == User.id)
            .where(UnitMember.unit_id == unit_id)
        ).all()
    )


def route_of(session: Session, category_id: int | None) -> CategoryRoute | None:
    return session.get(CategoryRoute, category_id) if category_id is not None else None


def set_route(
    session: Session, *, actor: User | None, category: Category, unit: Unit | None, deadline_days: int
) -> CategoryRoute:
    """A category's default responsible unit and deadline (in days)."""
    require(actor, Action.MANAGE_UNITS)
    if not 1 <= deadline_days <= 365:
        raise Invalid("默认期限须为 1–365 天", field="deadline_days")
    route = session.get(CategoryRoute, category.id) or CategoryRoute(category_id=category.id)  # type: ignore[arg-type]
    route.unit_id = unit.id if unit else None
    route.deadline_days = deadline_days
    session.add(route)
    session.flush()
    return route


# --- opening cases -------------------------------------------------------------------------------


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("民情意见不存在")
    return case


def who(session: Session, user: User | None, case: Case) -> frozenset[Party]:
    return parties(user, case, unit_ids_of(session, user))


def can_see(session: Session, user: User | None, case: Case) -> bool:
    """Private cases: staff, the poster and the unit's contacts only."""
    if not case.is_private:
        return True
    return bool(who(session, user, case) & {Party.STAFF, Party.POSTER, Party.UNIT})


def get_visible_case(session: Session, case_id: int, *, viewer: User | None) -> Case:
    case = get_case(session, case_id)
    if not can_see(session, viewer, case):
        raise NotFound("民情意见不存在")
    return case


def _find_category(session: Session, ref: str | None) -> Category | None:
    if not ref:
        return None
    found = session.exec(select(Category).where((Category.slug == ref) | (Category.name == ref))).first()
    if found is None:
        raise Invalid("未知的问题分类", field="category")
    return found


def _due(days: int, start: datetime) -> datetime:
    """Due at the end of the day `days` days on, in community time."""
    day = start.astimezone(SHANGHAI).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


def _event(
    session: Session,
    case: Case,
    actor: User | None,
    kind: str,
    *,
    note: str = "",
    detail: str = "",
    public: bool = True,
    from_status: str | None = None,
    to_status: str | None = None,
    meeting_id: int | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        actor_id=actor.id if actor else None,
        kind=kind,
        note=note,  # type: ignore[arg-type]
        detail=detail[:200],
        is_public=public,
        from_status=from_status,
        to_status=to_status,
        meeting_id=meeting_id,
    )
    session.add(event)
    return event


def open_case(
    session: Session,
    *,
    actor: User | None,
    post: Post | None = None,
    title: str | None = None,
    description: str | None = None,
    source: Source | str | None = None,
    category: str | None = None,
    unit: str | int | None = None,
    building: str | None = None,
    location: str | None = None,
    priority: Priority | str = Priority.NORMAL,
    is_private: bool = False,
    resident: str | None = None,
) -> Case:
    """Open a case: from a flagged post (category and unit pre-filled from its topic's tags), or
    from a concern heard offline (走访, 电话, 来访, 民情联系卡, 民情日志)."""
    user = require(actor, Action.OPEN_CASE)
    now = utcnow()
    topic = None
    if post is not None:
        if not post.is_visible:
            raise Conflict("该楼层已被删除或隐藏")
        existing = session.exec(select(CasePost.case_id).where(CasePost.post_id == post.id)).first()
        if existing is not None:
            raise Conflict(f"该帖子已在民情意见 #{existing} 中")
        topic = session.get(Topic, post.topic_id)
        assert topic is not None
        source = Source.FORUM
        title = title or topic.title
        description = description if description is not None else post.body
    else:
        try:
            source = Source(source) if source else None
        except ValueError:
            raise Invalid("未知的来源", field="source") from None
        if source is None or source == Source.FORUM:
            raise Invalid("请选择线下来源：走访、电话、来访、民情联系卡或民情日志", field="source")
    title = clean_title(title or "")
    description = clean_body(description or "", required=post is None)
    found = _find_category(session, category)
    if found is None and topic is not None:
        found = session.exec(
            select(Category)
            .join(TopicTag, col(TopicTag.category_id) == Category.id)
            .where(TopicTag.topic_id == topic.id)
            .order_by(col(Category.position))
        ).first()
    route = route_of(session, found.id if found else None)
    chosen = (
        find_unit(session, unit)
        if unit not in (None, "")
        else (session.get(Unit, route.unit_id) if route and route.unit_id else None)
    )
    try:
        priority = Priority(priority)
    except ValueError:
        raise Invalid("未知的优先级", field="priority") from None
    poster_id = post.author_id if post is not None else None
    household_id = None
    if post is None and resident and resident.strip():
        # A concern heard offline from a registered resident: they follow it and may rate it.
        person = session.exec(select(User).where(User.username_key == resident.strip().lower())).first()
        if person is None:
            raise Invalid("找不到这个居民的账号", field="resident")
        poster_id = person.id
        household = session.exec(select(Household).where(Household.user_id == person.id)).first()
        if household is not None:
            household_id = household.id
            building = building or household.building
    building = clean_text(building or "")
    if len(building) > 10:
        raise Invalid("楼号不能超过 10 个字", field="building")
    case = Case(
        title=title,
        description=description,
        category_id=found.id if found else None,
        unit_id=chosen.id if chosen else None,
        priority=priority,
        source=source,
        poster_id=poster_id,
        household_id=household_id,
        opened_by_id=user.id,  # type: ignore[arg-type]
        topic_id=topic.id if topic else None,
        building=building,
        location=clean_text(location or "")[:100],
        is_private=is_private,
        created_at=now,
        updated_at=now,
        due_at=_due(route.deadline_days if route else 7, now),
    )
    session.add(case)
    session.flush()
    if post is not None:
        session.add(CasePost(case_id=case.id, post_id=post.id, topic_id=post.topic_id))  # type: ignore[arg-type]
    labels = {
        Source.FORUM: "由论坛帖子转为民情意见",
        Source.VISIT: "走访中收集",
        Source.PHONE: "电话反映",
        Source.WALK_IN: "来访反映",
        Source.CONTACT_CARD: "民情联系卡反映",
        Source.LOG: "民情日志记录",
    }
    _event(session, case, user, "opened", to_status=Status.SUBMITTED, detail=labels[Source(source)])
    if case.poster_id is not None:
        _follow(session, case, case.poster_id)
        _notify(session, case.poster_id, NotificationKind.CASE_UPDATE, user, case, "已立案，社区会跟进办理")
    if chosen is not None:
        _notify_unit(session, case, user, chosen.id)  # type: ignore[arg-type]
    session.flush()
    return case


def _follow(session: Session, case: Case, user_id: int) -> None:
    if session.get(CaseFollow, (case.id, user_id)) is None:
        session.add(CaseFollow(case_id=case.id, user_id=user_id))  # type: ignore[arg-type]


# --- the workflow --------------------------------------------------------------------------------


def _cas(session: Session, case: Case, version: int | None, **values: Any) -> None:
    """Compare-and-set: apply `values` only if nobody changed the case since `version` was read."""
    expected = version if version is not None else case.version
    result = _execute(
        session,
        update(Case)
        .where(
            col(Case.id) == case.id,
            col(Case.version) == expected,
            col(Case.status) == case.status,
        )
        .values(version=Case.version + 1, updated_at=utcnow(), **values),
    )
    if result.rowcount != 1:
        raise Conflict(STALE)
    session.refresh(case)


def transition(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    action: CaseAction,
    note: str = "",
    version: int | None = None,
    public: bool = True,
) -> Case:
    """Move a case along the workflow (accept, start, resolve, reject, reopen, follow up, close,
    archive). Refusals raise and change nothing."""
    if action in (A.MERGE, A.RATE, A.RATE_UNSATISFIED) or RULES[action].target is None:
        raise Invalid("该操作需要使用专门的接口")
    note = clean_text(note)
    if len(note) > 2000:
        raise Invalid("说明不能超过 2000 个字", field="note")
    target = check(action, case, who(session, actor, case), note=note)
    assert target is not None
    if action == A.CLOSE and case.resolution_count < 2:
        # Closing without the resident's rating is for a case resolved a second time.
        raise Conflict("首次办结后请等待居民评价，或登记回访")
    before = case.status
    now = utcnow()
    values: dict[str, Any] = {"status": target}
    if target == Status.ACCEPTED:
        values["accepted_at"] = now
    elif target == Status.RESOLVED:
        values["resolved_at"] = now
        values["resolution_count"] = Case.resolution_count + 1
    elif target == Status.FOLLOWED_UP:
        values["followed_up_at"] = now
    elif target == Status.CLOSED:
        values["closed_at"] = now
    elif target == Status.IN_PROGRESS and before == Status.RESOLVED:
        values["rating"] = None
    _cas(session, case, version, **values)
    _event(session, case, actor, action.value, note=note, from_status=before, to_status=target, public=public)
    if public:
        _notify_followers(session, case, actor, STATUS_WORDS[target])
    session.flush()
    return case


STATUS_WORDS = {
    Status.SUBMITTED: "新提交",
    Status.ACCEPTED: "已受理",
    Status.IN_PROGRESS: "处理中",
    Status.RESOLVED: "已解决",
    Status.FOLLOWED_UP: "已回访",
    Status.CLOSED: "已归档",
    Status.REJECTED: "不予受理",
    Status.DUPLICATE: "重复",
}


def assign(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    unit: str | int | None = None,
    handler: str | None = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    """Give the case to another responsible unit and/or staff handler."""
    check(A.ASSIGN, case, who(session, actor, case))
    new_unit = find_unit(session, unit) if unit not in (None, "") else None
    new_handler = None
    if handler:
        new_handler = session.exec(select(User).where(User.username_key == handler.strip().lower())).first()
        if new_handler is None or not can(new_handler, Action.VIEW_CASE_QUEUE):
            raise Invalid("经办人须是社区工作人员", field="handler")
    if new_unit is None and new_handler is None:
        raise Invalid("请选择责任单位或经办人", field="unit")
    values: dict[str, Any] = {}
    parts = []
    if new_unit is not None and new_unit.id != case.unit_id:
        old = session.get(Unit, case.unit_id) if case.unit_id else None
        values["unit_id"] = new_unit.id
        parts.append(f"责任单位：{old.name if old else '未指定'} → {new_unit.name}")
    if new_handler is not None and new_handler.id != case.handler_id:
        values["handler_id"] = new_handler.id
        parts.append(f"经办人：{new_handler.username}")
    if not values:
        return case
    _cas(session, case, version, **values)
    _event(session, case, actor, "assign", note=clean_text(note)[:2000], detail="；".join(parts))
    if "unit_id" in values:
        _notify_unit(session, case, actor, values["unit_id"])
        _notify_followers(session, case, actor, f"转交{new_unit.name}")  # type: ignore[union-attr]
    session.flush()
    return case


def set_deadline(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    due: date | str,
    note: str,
    version: int | None = None,
) -> Case:
    """Change the due date; the reason goes on the record."""
    note = clean_text(note)
    check(A.SET_DEADLINE, case, who(session, actor, case), note=note)
    if isinstance(due, str):
        try:
            due = date.fromisoformat(due.strip())
        except ValueError:
            raise Invalid("日期格式应为 2025-01-31", field="due_date") from None
    today = utcnow().astimezone(SHANGHAI).date()
    if due < today or due > today + timedelta(days=366):
        raise Invalid("期限须在今天到一年之内", field="due_date")
    new_due = datetime.combine(due, time(23, 59, 59), SHANGHAI)
    old = case.due_at.astimezone(SHANGHAI).date().isoformat() if case.due_at else "无"
    _cas(session, case, version, due_at=new_due, overdue_notified_at=None)
    _event(session, case, actor, "deadline", note=note[:2000], detail=f"办理期限：{old} → {due.isoformat()}")
    session.flush()
    return case


def comment(session: Session, *, actor: User | None, case: Case, note: str, public: bool = True) -> CaseEvent:
    """A note on the case: public on the timeline (staff, or the unit answering), or staff-only."""
    note = clean_text(note)
    action = A.COMMENT if public else A.NOTE
    parties_ = who(session, actor, case)
    check(action, case, parties_, note=note)
    if len(note) > 2000:
        raise Invalid("说明不能超过 2000 个字", field="note")
    kind = (
        "unit_reply"
        if public and Party.UNIT in parties_ and Party.STAFF not in parties_
        else ("comment" if public else "note")
    )
    event = _event(session, case, actor, kind, note=note, public=public)
    if public:
        _notify_followers(session, case, actor, "单位回复" if kind == "unit_reply" else "新的进展")
    session.flush()
    return event


def merge(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    into: Case,
    note: str = "",
    version: int | None = None,
) -> Case:
    """Merge a duplicate into another case: its posts, supporters and followers move; it becomes 重复."""
    target = check(A.MERGE, case, who(session, actor, case))
    if into.id == case.id:
        raise Invalid("不能合并到自己", field="into")
    if into.status not in (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.RESOLVED):
        raise Conflict("目标民情意见已办结，不能合并进去")
    before = case.status
    _cas(session, case, version, status=target, merged_into_id=into.id, closed_at=utcnow())
    _execute(session, update(CasePost).where(col(CasePost.case_id) == case.id).values(case_id=into.id))
    moved = 0
    for table in (CaseSupport, CaseFollow):
        users = set(session.exec(select(table.user_id).where(table.case_id == case.id)).all())  # type: ignore[attr-defined]
        present = set(session.exec(select(table.user_id).where(table.case_id == into.id)).all())  # type: ignore[attr-defined]
        for user_id in users - present:
            session.add(table(case_id=into.id, user_id=user_id))
            moved += table is CaseSupport
        _execute(session, delete(table).where(col(table.case_id) == case.id))  # type: ignore[attr-defined]
    _execute(session, update(Case).where(col(Case.id) == case.id).values(support_count=0))
    _execute(
        session,
        update(Case)
        .where(col(Case.id) == into.id)
        .values(support_count=Case.support_count + moved, version=Case.version + 1, updated_at=utcnow()),
    )
    session.refresh(case)
    session.refresh(into)
    _event(
        session,
        case,
        actor,
        "merge",
        note=clean_text(note)[:2000],
        from_status=before,
        to_status=target,
        detail=f"合并到 #{into.id}",
    )
    _event(session, into, actor, "merged_in", note="", detail=f"#{case.id}「{case.title}」合并到此")
    session.flush()
    return case


def rate(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    rating: Rating | str,
    comment_text: str = "",
    version: int | None = None,
) -> Case:
    """The poster rates a resolved case. 满意 / 基本满意 -> 已回访; 不满意 reopens it (处理中)."""
    try:
        rating = Rating(rating)
    except ValueError:
        raise Invalid("请选择满意、基本满意或不满意", field="rating") from None
    comment_text = clean_text(comment_text)
    if len(comment_text) > 500:
        raise Invalid("评价不能超过 500 个字", field="note")
    action = A.RATE_UNSATISFIED if rating == Rating.UNSATISFIED else A.RATE
    target = check(action, case, who(session, actor, case), note=comment_text)
    before = case.status
    now = utcnow()
    values: dict[str, Any] = {"status": target, "rating": rating, "rating_comment": comment_text or None}
    if target == Status.FOLLOWED_UP:
        values["followed_up_at"] = now
    _cas(session, case, version, **values)
    words = {Rating.SATISFIED: "满意", Rating.BASICALLY: "基本满意", Rating.UNSATISFIED: "不满意"}[rating]
    _event(
        session,
        case,
        actor,
        "rate",
        note=comment_text,
        detail=f"评价：{words}",
        from_status=before,
        to_status=target,
    )
    staff_ids = {case.handler_id, case.opened_by_id} - {None, actor.id if actor else None}
    for user_id in staff_ids:
        _notify(session, user_id, NotificationKind.CASE_RATED, actor, case, f"评价：{words}")  # type: ignore[arg-type]
    if target == Status.IN_PROGRESS:
        _notify_followers(session, case, actor, "不满意，重新处理")
    session.flush()
    return case


def support(session: Session, *, actor: User | None, case: Case, on: bool = True) -> int:
    """我也遇到 (once per user); returns the new count."""
    user = require(actor, Action.LIKE)
    check(A.SUPPORT, case, who(session, user, case))
    exists = session.get(CaseSupport, (case.id, user.id)) is not None
    if on and not exists:
        try:
            with session.begin_nested():
                session.add(CaseSupport(case_id=case.id, user_id=user.id))  # type: ignore[arg-type]
                session.flush()
        except IntegrityError:
            return case.support_count
        _execute(
            session, update(Case).where(col(Case.id) == case.id).values(support_count=Case.support_count + 1)
        )
        _follow(session, case, user.id)  # type: ignore[arg-type]
    elif not on and exists:
        _execute(
            session,
            delete(CaseSupport).where(
                col(CaseSupport.case_id) == case.id, col(CaseSupport.user_id) == user.id
            ),
        )
        _execute(
            session, update(Case).where(col(Case.id) == case.id).values(support_count=Case.support_count - 1)
        )
    session.flush()
    session.refresh(case)
    return case.support_count


def has_supported(session: Session, *, user: User | None, case: Case) -> bool:
    return user is not None and session.get(CaseSupport, (case.id, user.id)) is not None


def follow(session: Session, *, actor: User | None, case: Case, on: bool = True) -> bool:
    user = require(actor, Action.FOLLOW)
    row = session.get(CaseFollow, (case.id, user.id))
    if on and row is None:
        _follow(session, case, user.id)  # type: ignore[arg-type]
    elif not on and row is not None:
        session.delete(row)
    session.flush()
    return on


def link_post(session: Session, *, actor: User | None, case: Case, post: Post) -> None:
    """Gather another post (a duplicate complaint in another thread, say) into the case."""
    check(A.LINK_POST, case, who(session, actor, case))
    existing = session.exec(select(CasePost.case_id).where(CasePost.post_id == post.id)).first()
    if existing is not None:
        raise Conflict(f"该帖子已在民情意见 #{existing} 中")
    session.add(CasePost(case_id=case.id, post_id=post.id, topic_id=post.topic_id))  # type: ignore[arg-type]
    _event(
        session, case, actor, "link", detail=f"关联帖子：{post.floor or ''}楼" if post.floor else "关联回复"
    )
    if post.author_id != case.poster_id:
        _follow(session, case, post.author_id)
    session.flush()


# --- scheduled work -------------------------------------------------------------------------------


def archive_followed_up(session: Session, *, days: int, now: datetime | None = None) -> int:
    """Archive cases that have been 已回访 for `days` days (forum archive, the periodic task)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    cases = session.exec(
        select(Case).where(Case.status == Status.FOLLOWED_UP, col(Case.followed_up_at) <= cutoff).limit(1000)
    ).all()
    done = 0
    for case in cases:
        result = _execute(
            session,
            update(Case)
            .where(col(Case.id) == case.id, col(Case.status) == Status.FOLLOWED_UP)
            .values(status=Status.CLOSED, closed_at=now, version=Case.version + 1, updated_at=now),
        )
        if result.rowcount == 1:  # another worker may have archived it a moment ago
            session.refresh(case)
            _event(
                session,
                case,
                None,
                "archive",
                from_status=Status.FOLLOWED_UP,
                to_status=Status.CLOSED,
                detail=f"回访后 {days} 天自动归档",
            )
            done += 1
    session.flush()
    return done


def notify_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Tell the handler (or the staff who opened it) once when a case passes its deadline. Cases are
    claimed with a conditional UPDATE … RETURNING, so workers running this together notify once."""
    now = now or utcnow()
    claimed = (
        _execute(
            session,
            update(Case)
            .where(
                col(Case.status).in_(list(_OPEN)),
                col(Case.due_at) < now,
                col(Case.overdue_notified_at).is_(None),
            )
            .values(overdue_notified_at=now)
            .returning(Case.id),
        )
        .scalars()
        .all()
    )
    for case in session.exec(select(Case).where(col(Case.id).in_(claimed))).all():
        _notify(
            session,
            case.handler_id or case.opened_by_id,
            NotificationKind.CASE_OVERDUE,
            None,
            case,
            "已超过办理期限",
        )
    session.flush()
    return len(claimed)


def run_periodic(
    session: Session, *, archive_after_days: int, now: datetime | None = None
) -> tuple[int, int]:
    """The scheduled work: archive long-followed-up cases, flag newly overdue ones."""
    return archive_followed_up(session, days=archive_after_days, now=now), notify_overdue(session, now=now)


_OPEN = (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS)


# --- meetings ------------------------------------------------------------------------------------

MEETING_WORDS = {
    MeetingKind.COORDINATION: "协调会",
    MeetingKind.TALK: "民情恳谈会",
    MeetingKind.MEDIATION: "民事协调会",
    MeetingKind.HEARING: "民意听证会",
    MeetingKind.REVIEW: "民主评议会",
}


def record_meeting(
    session: Session,
    *,
    actor: User | None,
    kind: MeetingKind | str,
    title: str,
    starts_at: datetime,
    place: str,
    ends_at: datetime | None = None,
    attendees: str = "",
    minutes: str = "",
    decisions: str = "",
    case_ids: Sequence[int] = (),
) -> Meeting:
    """Record a 协调会 or one of the 四会; it appears on each linked case's timeline."""
    user = require(actor, Action.RECORD_MEETING)
    try:
        kind = MeetingKind(kind)
    except ValueError:
        raise Invalid("未知的会议类型", field="kind") from None
    title, place = clean_title(title), clean_text(place)
    if not place or len(place) > 60:
        raise Invalid("请填写会议地点（不超过 60 字）", field="place")
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=SHANGHAI)
    if ends_at is not None:
        if ends_at.tzinfo is None:
            ends_at = ends_at.replace(tzinfo=SHANGHAI)
        if ends_at <= starts_at:
            raise Invalid("结束时间须晚于开始时间", field="ends_at")
    for value, limit, label in (
        (attendees, 1000, "参会人员"),
        (minutes, 10000, "会议纪要"),
        (decisions, 5000, "会议决定"),
    ):
        if len(value) > limit:
            raise Invalid(f"{label}不能超过 {limit} 字", field="minutes")
    cases = [get_case(session, cid) for cid in dict.fromkeys(case_ids)]
    meeting = Meeting(
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        attendees=clean_text(attendees),
        minutes=clean_text(minutes),
        decisions=clean_text(decisions),
        created_by_id=user.id,
    )  # type: ignore[arg-type]
    session.add(meeting)
    session.flush()
    when = starts_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    for case in cases:
        session.add(MeetingCase(meeting_id=meeting.id, case_id=case.id))  # type: ignore[arg-type]
        _event(
            session,
            case,
            user,
            "meeting",
            detail=f"{MEETING_WORDS[kind]}：{title}（{when}，{place}）",
            note=clean_text(decisions)[:2000],
            meeting_id=meeting.id,
        )
        _notify_followers(session, case, user, MEETING_WORDS[kind])
    session.flush()
    return meeting


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("会议不存在")
    return meeting


# --- notifications ---------------------------------------------------------------------------------


def _notify(
    session: Session, user_id: int | None, kind: str, actor: User | None, case: Case, detail: str
) -> None:
    if user_id is None or (actor is not None and user_id == actor.id):
        return
    session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            actor_id=actor.id if actor else None,
            case_id=case.id,
            topic_id=case.topic_id,
            detail=detail[:120],
        )
    )


def _notify_followers(session: Session, case: Case, actor: User | None, detail: str) -> None:
    """The poster, supporters and followers hear of every public event."""
    if case.is_private:
        followers = {case.poster_id} - {None}
    else:
        followers = set(session.exec(select(CaseFollow.user_id).where(CaseFollow.case_id == case.id)).all())
        followers |= set(
            session.exec(select(CaseSupport.user_id).where(CaseSupport.case_id == case.id)).all()
        )
        if case.poster_id:
            followers.add(case.poster_id)
    for user_id in followers:
        _notify(session, user_id, NotificationKind.CASE_UPDATE, actor, case, detail)  # type: ignore[arg-type]


def _notify_unit(session: Session, case: Case, actor: User | None, unit_id: int) -> None:
    for member in unit_members(session, unit_id):
        _notify(session, member.id, NotificationKind.CASE_ASSIGNED, actor, case, "新的待办")


def perform(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    action: str,
    note: str = "",
    version: int | None = None,
    rating: str | None = None,
    into: int | None = None,
    unit: str | int | None = None,
    handler: str | None = None,
    due_date: str | None = None,
    private: bool = False,
) -> Case:
    """One entry for every event a person can add to a case (the API's POST …/events and the case
    page's forms): dispatches to the rule-specific function above."""
    try:
        kind = CaseAction(action)
    except ValueError:
        raise Invalid("未知的操作", field="action") from None
    if kind == A.MERGE:
        if into is None:
            raise Invalid("请填写要合并到的民情意见编号", field="into")
        return merge(
            session, actor=actor, case=case, into=get_case(session, into), note=note, version=version
        )
    if kind in (A.RATE, A.RATE_UNSATISFIED):
        return rate(session, actor=actor, case=case, rating=rating or "", comment_text=note, version=version)
    if kind == A.ASSIGN:
        return assign(session, actor=actor, case=case, unit=unit, handler=handler, note=note, version=version)
    if kind == A.SET_DEADLINE:
        return set_deadline(session, actor=actor, case=case, due=due_date or "", note=note, version=version)
    if kind in (A.COMMENT, A.NOTE):
        comment(session, actor=actor, case=case, note=note, public=kind == A.COMMENT and not private)
        return case
    if kind == A.SUPPORT:
        support(session, actor=actor, case=case)
        return case
    if kind == A.LINK_POST:
        raise Invalid("关联帖子请在帖子上操作", field="action")
    return transition(session, actor=actor, case=case, action=kind, note=note, version=version)
