"""What every case change shares: the compare-and-set that makes racing requests safe, the event
that records it (timeline and audit log), the public echo of that event in the linked thread, and
who hears about it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from forum import labels
from forum.accounts.models import User
from forum.boards.system import post_system_floor
from forum.cases.models import Case, CaseEvent, CaseFollow, CaseSupport, UnitMember
from forum.errors import Conflict
from forum.notifications.models import Notification, NotificationKind
from forum.timeutil import utcnow

STALE = "该民情意见刚刚已被他人更新，请刷新页面后重试"


# Public events worth a floor in the linked thread, with the words that head it. Supports, links
# and staff notes stay on the case page; so do the system's own archiving steps.
THREAD_HEADINGS = {
    "accept": "社区已受理",
    "reject": "不予受理",
    "start": "开始处理",
    "assign": "已转交",
    "deadline": "办理期限调整",
    "comment": "社区回复",
    "unit_reply": "单位答复",
    "resolve": "已办结",
    "reopen": "重新打开",
    "rate": "居民评价",
    "rate_unsatisfied": "居民评价",
    "follow_up": "社区回访",
    "close": "已归档",
    "meeting": "协调会",
    "pushback": "单位申请",
    "pushback_decided": "申请处理结果",
    "update": "居民补充",
}


# What residents add (not staff or the unit): kept out of a thread staff locked.
RESIDENT_KINDS = frozenset({"update", "rate", "rate_unsatisfied"})


def execute(session: Session, statement: Any) -> Any:
    return session.execute(statement, execution_options={"synchronize_session": False})


def compare_and_set(session: Session, case: Case, version: int | None, **values: Any) -> None:
    """Apply `values` only if nobody changed the case since `version` was read."""
    expected = version if version is not None else case.version
    result = execute(
        session,
        update(Case)
        .where(col(Case.id) == case.id, col(Case.version) == expected, col(Case.status) == case.status)
        .values(version=Case.version + 1, updated_at=utcnow(), **values),
    )
    if result.rowcount != 1:
        raise Conflict(STALE)
    session.refresh(case)


def record(
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
    """Append an event; a public one of interest is echoed as a floor in the case's thread."""
    event = CaseEvent(
        case_id=case.id,  # type: ignore[arg-type]
        actor_id=actor.id if actor else None,
        kind=kind,
        note=note,
        detail=detail[:200],
        is_public=public,
        from_status=from_status,
        to_status=to_status,
        meeting_id=meeting_id,
    )
    session.add(event)
    session.flush()
    if public and actor is not None and not case.is_private and case.topic_id and kind in THREAD_HEADINGS:
        _echo_in_thread(session, case, actor, event)
    return event


def _echo_in_thread(session: Session, case: Case, actor: User, event: CaseEvent) -> None:
    """The thread's readers see what happened to the concern without leaving it: the event becomes
    a floor by whoever acted, so reply count and last activity move too."""
    moved = event.to_status and event.to_status != event.from_status
    heading = labels.CASE_STATUS[event.to_status] if moved else THREAD_HEADINGS[event.kind]  # type: ignore[index]
    lines = [f"**【民情意见 #{case.id} · {heading}】**"]
    if event.detail:
        lines.append(event.detail)
    if event.note:
        lines.append(event.note)
    post_system_floor(
        session,
        topic_id=case.topic_id,  # type: ignore[arg-type]
        author_id=actor.id,  # type: ignore[arg-type]
        body="\n\n".join(lines),
        origin="case",
        into_locked=event.kind not in RESIDENT_KINDS,
    )


def add_follower(session: Session, case: Case, user_id: int) -> None:
    if session.get(CaseFollow, (case.id, user_id)) is None:
        session.add(CaseFollow(case_id=case.id, user_id=user_id))  # type: ignore[arg-type]


def notify(
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


def notify_followers(session: Session, case: Case, actor: User | None, detail: str) -> None:
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
        notify(session, user_id, NotificationKind.CASE_UPDATE, actor, case, detail)  # type: ignore[arg-type]


def notify_unit(
    session: Session, case: Case, actor: User | None, unit_id: int, detail: str = "新的待办"
) -> None:
    members = session.exec(select(UnitMember.user_id).where(UnitMember.unit_id == unit_id)).all()
    for user_id in members:
        notify(session, user_id, NotificationKind.CASE_ASSIGNED, actor, case, detail)
