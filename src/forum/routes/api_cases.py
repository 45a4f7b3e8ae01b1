"""JSON API for 民情意见 cases and meetings: the same services and rules as the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlmodel import Session

from forum.accounts.models import User
from forum.boards import service as boards
from forum.cases import queries, service
from forum.cases.models import (
    Case,
    CaseDetail,
    CaseEventCreate,
    CaseEventPublic,
    CaseOpen,
    CasePage,
    CasePublic,
    Meeting,
    MeetingCreate,
    MeetingPublic,
)
from forum.cases.workflow import Party
from forum.errors import Invalid
from forum.policy import Action, can, require
from forum.routes.cases import Cursor, Filters
from forum.routes.deps import ApiUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["cases"])
CaseId = Annotated[int, Path(ge=1, le=2**62)]


def get_case_or_404(case_id: CaseId, session: SessionDep, user: ApiUser) -> Case:
    return service.get_visible_case(session, case_id, viewer=user)


CaseDep = Annotated[Case, Depends(get_case_or_404)]


def _public(session: Session, case: Case) -> CasePublic:
    row = queries.rows(session, [case])[0]
    return CasePublic(
        **case.model_dump(
            include={
                "id",
                "title",
                "description",
                "status",
                "version",
                "priority",
                "source",
                "building",
                "location",
                "topic_id",
                "due_at",
                "support_count",
                "rating",
                "rating_comment",
                "merged_into_id",
                "is_private",
                "created_at",
                "updated_at",
            }
        ),
        category=row.category,
        unit=row.unit,
        handler=row.handler,
        overdue=row.overdue,
        days_open=row.days_open,
        post_ids=[p.post.id for p in queries.linked_posts(session, case=case)],  # type: ignore[misc]
    )


def _detail(session: Session, case: Case, user: User | None) -> CaseDetail:
    staff = Party.STAFF in service.who(session, user, case)
    events = [
        CaseEventPublic(
            **e.event.model_dump(exclude={"actor_id", "case_id"}), actor=e.actor.username if e.actor else None
        )
        for e in queries.timeline(session, case=case, staff=staff)
    ]
    return CaseDetail(**_public(session, case).model_dump(), timeline=events)


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: SessionDep,
    user: ApiUser,
    filters: Filters,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> CasePage:
    """Filters as on the staff queue (status, category, unit, handler, building, overdue, source,
    date_from, date_to, sort). Staff see every case; everyone else the public ones (the 公示 list)."""
    listing = queries.case_list(
        session, filters=filters, cursor=cursor, limit=limit, public=not can(user, Action.VIEW_CASE_QUEUE)
    )
    return CasePage(items=[_public(session, r.case) for r in listing.rows], next_cursor=listing.next_cursor)


@router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CaseDetail)
def open_case(data: CaseOpen, session: SessionDep, user: ApiUser) -> CaseDetail:
    """Open a case from a topic (`topic_id`), a reply (`reply_id`), or offline (`source`, `title`, …)."""
    require(user, Action.OPEN_CASE)
    if data.topic_id and data.reply_id:
        raise Invalid("topic_id 和 reply_id 只能填一个", field="topic_id")
    post = None
    if data.topic_id:
        post = boards.first_post(session, boards.get_topic(session, data.topic_id, viewer=user))
    elif data.reply_id:
        post = boards.get_post(session, data.reply_id)
        boards.get_topic(session, post.topic_id, viewer=user)
    case = service.open_case(
        session,
        actor=user,
        post=post,
        title=data.title,
        description=data.description,
        source=data.source,
        category=data.category,
        unit=data.unit,
        building=data.building,
        location=data.location,
        priority=data.priority,
        is_private=data.is_private,
        resident=data.resident,
    )
    return _detail(session, case, user)


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case: CaseDep, session: SessionDep, user: ApiUser) -> CaseDetail:
    return _detail(session, case, user)


@router.post("/cases/{case_id}/events", status_code=status.HTTP_201_CREATED, response_model=CaseDetail)
def add_event(case: CaseDep, data: CaseEventCreate, session: SessionDep, user: ApiUser) -> CaseDetail:
    """accept | start | resolve | reject | reopen | merge | assign | set_deadline | comment | note | rate |
    follow_up | close | archive. A refused transition is 409 and changes nothing."""
    service.perform(
        session,
        actor=user,
        case=case,
        action=data.action,
        note=data.note,
        version=data.version,
        rating=data.rating,
        into=data.into,
        unit=data.unit,
        handler=data.handler,
        due_date=data.due_date,
        private=data.private,
    )
    return _detail(session, case, user)


@router.put("/cases/{case_id}/supports")
def support(case: CaseDep, session: SessionDep, user: ApiUser) -> dict[str, int | bool]:
    """我也遇到 (idempotent)."""
    return {"supported": True, "support_count": service.support(session, actor=user, case=case, on=True)}


@router.delete("/cases/{case_id}/supports")
def unsupport(case: CaseDep, session: SessionDep, user: ApiUser) -> dict[str, int | bool]:
    return {"supported": False, "support_count": service.support(session, actor=user, case=case, on=False)}


def _meeting(session: Session, meeting: Meeting) -> MeetingPublic:
    return MeetingPublic(
        **meeting.model_dump(exclude={"created_by_id", "created_at"}),
        case_ids=[c.id for c in queries.cases_of_meeting(session, meeting=meeting)],
    )  # type: ignore[misc]


@router.get("/meetings", response_model=list[MeetingPublic])
def list_meetings(session: SessionDep) -> list[MeetingPublic]:
    return [_meeting(session, m) for m in queries.list_meetings(session)]


@router.post("/meetings", status_code=status.HTTP_201_CREATED, response_model=MeetingPublic)
def create_meeting(data: MeetingCreate, session: SessionDep, user: ApiUser) -> MeetingPublic:
    meeting = service.record_meeting(
        session,
        actor=user,
        kind=data.kind,
        title=data.title,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
        attendees=data.attendees,
        minutes=data.minutes,
        decisions=data.decisions,
        case_ids=data.case_ids,
    )
    return _meeting(session, meeting)


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic)
def get_meeting(meeting_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep) -> MeetingPublic:
    return _meeting(session, service.get_meeting(session, meeting_id))


@router.get("/meetings/{meeting_id}.ics")
def meeting_ics(meeting_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep) -> Response:
    from forum.cases.ics import meeting_calendar

    return Response(meeting_calendar(service.get_meeting(session, meeting_id)), media_type="text/calendar")
