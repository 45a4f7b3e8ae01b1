"""The 民情意见 workflow: moving a case along (accept, start, resolve, reject, reopen, close …),
routing it to units and handlers, deadlines, notes and answers, residents' updates, merging
duplicates and 我也遇到. Every change is a CaseEvent; every status change is a compare-and-set on
(status, version), so of two racing requests exactly one wins. Services flush; the caller's unit
of work commits.

Elsewhere in this package: opening cases (intake), 回访 and ratings (followup), units pushing back
(pushback), photos (photos), units and routing (units), meetings (meetings)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forum import labels
from forum.accounts.models import User
from forum.boards.service import Upload, clean_text
from forum.cases import events, followup, photos, pushback
from forum.cases.access import who
from forum.cases.dates import end_of_day, parse_due
from forum.cases.models import Case, CaseEvent, CaseFollow, CasePost, CaseSupport, PhotoKind, Status, Unit
from forum.cases.units import find_unit, has_contact, route_of
from forum.cases.workflow import REQUESTS, RULES, CaseAction, Party, check
from forum.errors import Conflict, Invalid
from forum.guards import service as guards
from forum.media.images import ImageStore
from forum.moderation.errors import Muted
from forum.notifications.models import NotificationKind
from forum.policy import Action, can, is_muted, require
from forum.timeutil import SHANGHAI, utcnow

A = CaseAction
NOTE_MAX = 2000


def _clean_note(note: str) -> str:
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise Invalid(f"说明不能超过 {NOTE_MAX} 个字", field="note")
    return note


def transition(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    action: CaseAction,
    note: str = "",
    version: int | None = None,
    public: bool = True,
) -> CaseEvent:
    """Move a case along the workflow (accept, start, resolve, reject, reopen, follow up, close,
    archive). Refusals raise and change nothing."""
    if action in (A.MERGE, A.RATE, A.RATE_UNSATISFIED, A.NO_RATING) or RULES[action].target is None:
        raise Invalid("该操作需要使用专门的接口")
    note = _clean_note(note)
    target = check(action, case, who(session, actor, case), note=note)
    assert target is not None
    if action == A.CLOSE and case.resolution_count < 2:
        # Closing without the resident's answer is for a case resolved a second time.
        raise Conflict("首次办结后请等待居民评价，或登记回访")
    before = case.status
    now = utcnow()
    values: dict[str, Any] = {"status": target}
    if target == Status.ACCEPTED:
        values["accepted_at"] = now
        if case.unit_id is None:
            # A resident's own report waits for triage before any unit hears of it.
            route = route_of(session, case.category_id)
            if route is not None and route.unit_id is not None:
                values["unit_id"] = route.unit_id
    elif target == Status.RESOLVED:
        values["resolved_at"] = now
        values["resolution_count"] = Case.resolution_count + 1
        values["followup_asked_at"] = None
        # A 不满意 from an earlier round is history (on the timeline), not this round's answer.
        values["rating"] = None
        values["rating_comment"] = None
    elif target == Status.FOLLOWED_UP:
        values["followed_up_at"] = now
    elif target == Status.CLOSED:
        values["closed_at"] = now
    elif target == Status.IN_PROGRESS and before == Status.RESOLVED:
        values["rating"] = None
    events.compare_and_set(session, case, version, **values)
    event = events.record(
        session, case, actor, action.value, note=note, from_status=before, to_status=target, public=public
    )
    if "unit_id" in values:
        events.notify_unit(session, case, actor, values["unit_id"])
    if public:
        events.notify_followers(session, case, actor, labels.CASE_STATUS[target])
    session.flush()
    return event


def assign(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    unit: str | int | None = None,
    handler: str | None = None,
    note: str = "",
    version: int | None = None,
) -> CaseEvent | None:
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
        return None
    events.compare_and_set(session, case, version, **values)
    event = events.record(session, case, actor, "assign", note=_clean_note(note), detail="；".join(parts))
    if "unit_id" in values:
        pushback.close_pending(session, case=case, actor=actor, why="已转交其他单位，申请不再需要")
        events.notify_unit(session, case, actor, values["unit_id"])
        events.notify_followers(session, case, actor, f"转交{new_unit.name}")  # type: ignore[union-attr]
    session.flush()
    return event


def unit_warning(session: Session, case: Case) -> str | None:
    """What staff should know about where the case sits: a unit nobody answers for hears nothing."""
    if case.status not in RULES[A.ASSIGN].sources:
        return None
    if case.unit_id is not None and not has_contact(session, case.unit_id):
        unit = session.get(Unit, case.unit_id)
        name = unit.name if unit else ""
        return f"责任单位「{name}」还没有联系人，没有人会收到这件事：请在单位管理中添加联系人，或转交其他单位"
    return None


def set_deadline(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    due: date | str,
    note: str,
    version: int | None = None,
) -> CaseEvent:
    """Change the due date; the reason goes on the record."""
    note = _clean_note(note)
    check(A.SET_DEADLINE, case, who(session, actor, case), note=note)
    due = parse_due(due)
    old = case.due_at.astimezone(SHANGHAI).date().isoformat() if case.due_at else "无"
    events.compare_and_set(session, case, version, due_at=end_of_day(due), overdue_notified_at=None)
    event = events.record(
        session, case, actor, "deadline", note=note, detail=f"办理期限：{old} → {due.isoformat()}"
    )
    session.flush()
    return event


def comment(session: Session, *, actor: User | None, case: Case, note: str, public: bool = True) -> CaseEvent:
    """A note on the case: public on the timeline (staff, or the unit answering), or staff-only."""
    note = _clean_note(note)
    action = A.COMMENT if public else A.NOTE
    parties_ = who(session, actor, case)
    check(action, case, parties_, note=note)
    kind = (
        "unit_reply"
        if public and Party.UNIT in parties_ and Party.STAFF not in parties_
        else ("comment" if public else "note")
    )
    event = events.record(session, case, actor, kind, note=note, public=public)
    if public:
        events.notify_followers(session, case, actor, "单位答复" if kind == "unit_reply" else "新的进展")
    session.flush()
    return event


def add_update(session: Session, *, actor: User | None, case: Case, note: str) -> CaseEvent:
    """A resident adds to the public record ("还没修好", with a photo); staff see it in the timeline."""
    user = require(actor, Action.REPORT_CONCERN)
    note = _clean_note(note)
    check(A.UPDATE, case, who(session, user, case), note=note)
    event = events.record(session, case, user, "update", note=note)
    events.add_follower(session, case, user.id)  # type: ignore[arg-type]
    events.notify_followers(session, case, user, "居民补充了情况")
    for staff_id in {case.handler_id, case.opened_by_id} - {None}:
        events.notify(session, staff_id, NotificationKind.CASE_UPDATE, user, case, "居民补充了情况")
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
) -> CaseEvent:
    """Merge a duplicate into another case: its posts, supporters and followers move; it becomes 重复."""
    target = check(A.MERGE, case, who(session, actor, case))
    if into.id == case.id:
        raise Invalid("不能合并到自己", field="into")
    if into.status not in (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.RESOLVED):
        raise Conflict("目标民情意见已办结，不能合并进去")
    before = case.status
    events.compare_and_set(session, case, version, status=target, merged_into_id=into.id, closed_at=utcnow())
    events.execute(session, update(CasePost).where(col(CasePost.case_id) == case.id).values(case_id=into.id))
    moved = 0
    for table in (CaseSupport, CaseFollow):
        users = set(session.exec(select(table.user_id).where(table.case_id == case.id)).all())  # type: ignore[attr-defined]
        present = set(session.exec(select(table.user_id).where(table.case_id == into.id)).all())  # type: ignore[attr-defined]
        for user_id in users - present:
            session.add(table(case_id=into.id, user_id=user_id))
            moved += table is CaseSupport
        events.execute(session, delete(table).where(col(table.case_id) == case.id))  # type: ignore[attr-defined]
    events.execute(session, update(Case).where(col(Case.id) == case.id).values(support_count=0))
    events.execute(
        session,
        update(Case)
        .where(col(Case.id) == into.id)
        .values(support_count=Case.support_count + moved, version=Case.version + 1, updated_at=utcnow()),
    )
    session.refresh(case)
    session.refresh(into)
    event = events.record(
        session,
        case,
        actor,
        "merge",
        note=clean_text(note)[:NOTE_MAX],
        from_status=before,
        to_status=target,
        detail=f"合并到 #{into.id}",
    )
    # A private case's title stays private when it joins a public one.
    merged = (
        "一件不公开的民情意见" if case.is_private and not into.is_private else f"#{case.id}「{case.title}」"
    )
    events.record(session, into, actor, "merged_in", note="", detail=f"{merged}合并到此")
    session.flush()
    return event


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
        events.execute(
            session, update(Case).where(col(Case.id) == case.id).values(support_count=Case.support_count + 1)
        )
        events.add_follower(session, case, user.id)  # type: ignore[arg-type]
    elif not on and exists:
        events.execute(
            session,
            delete(CaseSupport).where(
                col(CaseSupport.case_id) == case.id, col(CaseSupport.user_id) == user.id
            ),
        )
        events.execute(
            session, update(Case).where(col(Case.id) == case.id).values(support_count=Case.support_count - 1)
        )
    session.flush()
    session.refresh(case)
    return case.support_count


def has_supported(session: Session, *, user: User | None, case: Case) -> bool:
    return user is not None and session.get(CaseSupport, (case.id, user.id)) is not None


# Which actions may carry photos, and as what.
PHOTO_KINDS = {
    A.UPDATE: PhotoKind.REPORT,
    A.COMMENT: PhotoKind.BEFORE,
    A.RESOLVE: PhotoKind.AFTER,
}


HELD = "这段文字需要社区工作人员审核，不能直接发布：请修改后再提交，或直接联系社区"


def screen(session: Session, *, actor: User, note: str, counted: bool = False) -> str:
    """Text added to a case passes the same guards as a post (links from new accounts, the word
    list): blocked words refuse it, masked ones are masked. Text the list would hold for review is
    refused too, since a case's timeline and its thread floors have no review queue of their own
    (staff are never held). `counted`: a resident's update counts against the reply limit."""
    verdict = guards.check_post(
        session, actor=actor, action="reply" if counted else None, texts={"note": note}
    )
    if verdict.is_held:
        raise Invalid(HELD, field="note")
    return verdict.texts["note"]


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
    request_id: int | None = None,
    uploads: Sequence[Upload] = (),
    store: ImageStore | None = None,
) -> Case:
    """One entry for every event a person can add to a case (the API's POST …/events and the case
    page's forms): dispatches to the rule-specific function, then files any photos with the event."""
    try:
        kind = CaseAction(action)
    except ValueError:
        raise Invalid("未知的操作", field="action") from None
    if actor is not None and is_muted(actor) and (note.strip() or any(u.data for u in uploads)):
        # Muted: no free text or pictures anywhere, a case's timeline included (a plain 满意 is fine).
        raise Muted(actor.muted_until)  # type: ignore[arg-type]
    has_photos = any(u.data or u.filename for u in uploads)
    if has_photos and (kind not in PHOTO_KINDS or (kind == A.COMMENT and private)):
        raise Invalid("这个操作不能附带照片", field="photos")
    if actor is not None and note.strip():
        note = screen(session, actor=actor, note=note, counted=kind == A.UPDATE)
    event: CaseEvent | None
    if kind == A.MERGE:
        if into is None:
            raise Invalid("请填写要合并到的民情意见编号", field="into")
        target = session.get(Case, into) if 1 <= into <= 2**62 else None
        if target is None:
            raise Invalid(f"没有编号为 #{into} 的民情意见", field="into")
        event = merge(session, actor=actor, case=case, into=target, note=note, version=version)
    elif kind in (A.RATE, A.RATE_UNSATISFIED):
        event = followup.rate(
            session, actor=actor, case=case, rating=rating or "", comment_text=note, version=version
        )
    elif kind == A.ASSIGN:
        event = assign(
            session, actor=actor, case=case, unit=unit, handler=handler, note=note, version=version
        )
    elif kind == A.SET_DEADLINE:
        event = set_deadline(session, actor=actor, case=case, due=due_date or "", note=note, version=version)
    elif kind in (A.COMMENT, A.NOTE):
        event = comment(session, actor=actor, case=case, note=note, public=kind == A.COMMENT and not private)
    elif kind == A.UPDATE:
        event = add_update(session, actor=actor, case=case, note=note)
    elif kind == A.SUPPORT:
        support(session, actor=actor, case=case)
        return case
    elif kind in REQUESTS:
        pushback.ask(session, actor=actor, case=case, action=kind, reason=note, unit=unit, due_date=due_date)
        return case
    elif kind in (A.APPROVE_REQUEST, A.REFUSE_REQUEST):
        if request_id is None:
            raise Invalid("请指明要处理的申请", field="request_id")
        pushback.decide(
            session,
            actor=actor,
            case=case,
            request_id=request_id,
            approve=kind == A.APPROVE_REQUEST,
            note=note,
        )
        return case
    elif kind in (A.LINK_POST, A.NO_RATING):
        raise Invalid("该操作不能在这里执行", field="action")
    else:
        event = transition(session, actor=actor, case=case, action=kind, note=note, version=version)
    if event is not None and kind in PHOTO_KINDS:
        photos.attach(
            session, actor=actor, case=case, event=event, uploads=uploads, store=store, kind=PHOTO_KINDS[kind]
        )
    return case
