"""A unit pushing back on a case it was given: 退单 (not ours, with a reason), 改派申请 (another unit
should take it) and 延期申请 (a new date, and why). One request at a time per case; staff approve
or refuse it on the case, and both sides hear of the decision."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from forum import labels
from forum.accounts.models import User
from forum.boards.service import clean_text
from forum.cases import events
from forum.cases.access import who
from forum.cases.dates import end_of_day, parse_due
from forum.cases.models import Case, CaseRequest, RequestKind, RequestStatus, Unit
from forum.cases.units import find_unit
from forum.cases.workflow import REQUESTS, CaseAction, check
from forum.errors import Conflict, Invalid, NotFound
from forum.notifications.models import NotificationKind
from forum.timeutil import SHANGHAI, utcnow

REASON_MAX = 500


def pending(session: Session, case: Case) -> CaseRequest | None:
    return session.exec(
        select(CaseRequest).where(CaseRequest.case_id == case.id, CaseRequest.status == RequestStatus.PENDING)
    ).first()


def requests_of(session: Session, case: Case) -> list[CaseRequest]:
    return list(
        session.exec(
            select(CaseRequest).where(CaseRequest.case_id == case.id).order_by(col(CaseRequest.id))
        ).all()
    )


def ask(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    action: CaseAction,
    reason: str,
    unit: str | int | None = None,
    due_date: str | date | None = None,
) -> CaseRequest:
    """File a unit's request; staff see it on the case and in their inbox."""
    reason = clean_text(reason)
    check(action, case, who(session, actor, case), note=reason)
    assert actor is not None
    if len(reason) > REASON_MAX:
        raise Invalid(f"理由不能超过 {REASON_MAX} 个字", field="note")
    kind = RequestKind(REQUESTS[action])
    if pending(session, case) is not None:
        raise Conflict("这件事已有一个待审批的申请，请等社区处理后再提")
    proposed_unit = None
    proposed_due = None
    detail = labels.REQUEST_KIND[kind]
    if kind == RequestKind.REASSIGN:
        proposed_unit = find_unit(session, unit) if unit not in (None, "") else None
        if proposed_unit is None:
            raise Invalid("请选择建议改派的单位", field="unit")
        if proposed_unit.id == case.unit_id:
            raise Invalid("建议的单位就是当前责任单位", field="unit")
        detail += f"：建议改派给{proposed_unit.name}"
    elif kind == RequestKind.EXTEND:
        if not due_date:
            raise Invalid("请填写希望延期到的日期", field="due_date")
        new_day = parse_due(due_date)
        if case.due_at is not None and new_day <= case.due_at.astimezone(SHANGHAI).date():
            raise Invalid("延期的日期须晚于当前期限", field="due_date")
        proposed_due = end_of_day(new_day)
        detail += f"：希望延期到 {new_day.isoformat()}"
    request = CaseRequest(
        case_id=case.id,  # type: ignore[arg-type]
        kind=kind,
        unit_id=case.unit_id,
        requested_by_id=actor.id,  # type: ignore[arg-type]
        reason=reason,
        proposed_unit_id=proposed_unit.id if proposed_unit else None,
        proposed_due_at=proposed_due,
    )
    session.add(request)
    events.record(session, case, actor, "pushback", note=reason, detail=detail)
    waiting = f"单位{labels.REQUEST_KIND[kind]}，待审批"
    for staff_id in {case.handler_id, case.opened_by_id} - {None}:
        events.notify(session, staff_id, NotificationKind.CASE_UPDATE, actor, case, waiting)
    session.flush()
    return request


def decide(
    session: Session, *, actor: User | None, case: Case, request_id: int, approve: bool, note: str = ""
) -> CaseRequest:
    """Staff approve or refuse a unit's request. Approving 退单 takes the case back for routing,
    改派 gives it to the suggested unit, 延期 moves the deadline."""
    note = clean_text(note)
    action = CaseAction.APPROVE_REQUEST if approve else CaseAction.REFUSE_REQUEST
    check(action, case, who(session, actor, case), note=note)
    if len(note) > REASON_MAX:
        raise Invalid(f"说明不能超过 {REASON_MAX} 个字", field="note")
    request = session.get(CaseRequest, request_id)
    if request is None or request.case_id != case.id:
        raise NotFound("申请不存在")
    if request.status != RequestStatus.PENDING:
        raise Conflict("这个申请已经处理过了")
    if request.unit_id != case.unit_id:
        raise Conflict("提出申请的单位已不再负责这件事，申请已失效")
    now = utcnow()
    # Claim the decision: of two staff deciding at once, exactly one goes through.
    claimed = events.execute(
        session,
        update(CaseRequest)
        .where(col(CaseRequest.id) == request.id, col(CaseRequest.status) == RequestStatus.PENDING)
        .values(
            status=RequestStatus.APPROVED if approve else RequestStatus.REFUSED,
            decided_by_id=actor.id if actor else None,
            decision_note=note,
            decided_at=now,
        ),
    )
    if claimed.rowcount != 1:
        raise Conflict("这个申请已经处理过了")
    session.refresh(request)
    kind = RequestKind(request.kind)
    word = labels.REQUEST_KIND[kind]
    detail = f"{word}：{'同意' if approve else '不同意'}"
    if approve:
        if kind == RequestKind.RETURN:
            events.compare_and_set(session, case, None, unit_id=None)
            detail += "，退回社区重新分派"
        elif kind == RequestKind.REASSIGN:
            new_unit = session.get(Unit, request.proposed_unit_id) if request.proposed_unit_id else None
            if new_unit is None:
                raise Conflict("建议的单位已不存在，请直接转办")
            events.compare_and_set(session, case, None, unit_id=new_unit.id)
            events.notify_unit(session, case, actor, new_unit.id)  # type: ignore[arg-type]
            detail += f"，改派给{new_unit.name}"
        else:
            assert request.proposed_due_at is not None
            events.compare_and_set(
                session, case, None, due_at=request.proposed_due_at, overdue_notified_at=None
            )
            detail += f"，期限延至 {request.proposed_due_at.astimezone(SHANGHAI).date().isoformat()}"
    events.record(session, case, actor, "pushback_decided", note=note, detail=detail)
    events.notify(session, request.requested_by_id, NotificationKind.CASE_UPDATE, actor, case, detail)
    if approve and kind != RequestKind.EXTEND:
        events.notify_followers(session, case, actor, detail)
    session.flush()
    return request


def close_pending(session: Session, *, case: Case, actor: User | None, why: str) -> None:
    """The unit changed: a request the previous unit left pending is moot."""
    events.execute(
        session,
        update(CaseRequest)
        .where(col(CaseRequest.case_id) == case.id, col(CaseRequest.status) == RequestStatus.PENDING)
        .values(
            status=RequestStatus.REFUSED,
            decided_by_id=actor.id if actor else None,
            decision_note=why,
            decided_at=utcnow(),
        ),
    )
