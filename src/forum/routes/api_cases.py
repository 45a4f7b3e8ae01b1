"""JSON API for 民情意见 cases and meetings: the same services and rules as the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile, status
from sqlmodel import Session

from forum.accounts.models import User
from forum.boards import service as boards
from forum.cases import access, intake, meetings, photos, pushback, queries, service
from forum.cases.models import (
    Case,
    CaseDetail,
    CaseEventCreate,
    CaseEventPublic,
    CaseOpen,
    CasePage,
    CasePublic,
    CaseRequestPublic,
    Meeting,
    MeetingCreate,
    MeetingPublic,
    PhotoPublic,
)
from forum.cases.workflow import Party
from forum.errors import Invalid
from forum.policy import Action, can
from forum.routes.boards import read_uploads
from forum.routes.cases import Cursor, Filters
from forum.routes.deps import ApiUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["cases"])
CaseId = Annotated[int, Path(ge=1, le=2**62)]


def get_case_or_404(case_id: CaseId, session: SessionDep, user: ApiUser) -> Case:
    return access.get_visible_case(session, case_id, viewer=user)


CaseDep = Annotated[Case, Depends(get_case_or_404)]


def _public(request: Request, session: Session, case: Case, *, staff: bool = False) -> CasePublic:
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
                "entrance",
                "location",
                "topic_id",
                "due_at",
                "support_count",
                "rating",
                "rating_comment",
                "rated_at",
                "followed_up_at",
                "unrated_at",
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
        photos=[
            PhotoPublic(
                url=str(request.url_for("media:file", name=f"{ph.image.key}.{ph.image.ext}")),
                thumbnail_url=str(request.url_for("media:file", name=f"{ph.image.key}.thumb.jpg")),
                kind=ph.kind,
                event_id=ph.event_id,
            )
            for ph in photos.photos_of(session, case, staff=staff)
        ],
    )


def _detail(request: Request, session: Session, case: Case, user: User | None) -> CaseDetail:
    parties = access.who(session, user, case)
    staff = Party.STAFF in parties
    events = [
        CaseEventPublic(
            **e.event.model_dump(exclude={"actor_id", "case_id"}), actor=e.actor.username if e.actor else None
        )
        for e in queries.timeline(session, case=case, staff=staff)
    ]
    requests = (
        [CaseRequestPublic(**r.model_dump()) for r in pushback.requests_of(session, case)]
        if staff or Party.UNIT in parties
        else []
    )
    return CaseDetail(
        **_public(request, session, case, staff=staff).model_dump(), timeline=events, requests=requests
    )


@router.get("/cases", response_model=CasePage)
def list_cases(
    request: Request,
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
    return CasePage(
        items=[_public(request, session, r.case) for r in listing.rows], next_cursor=listing.next_cursor
    )


@router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CaseDetail)
def open_case(request: Request, data: CaseOpen, session: SessionDep, user: ApiUser) -> CaseDetail:
    """我要反映: any logged-in resident files their own concern (`category`, `description`,
    `building`, `entrance`, `location`, `contact`, `is_private`; photos then go to
    POST /cases/{id}/photos). A resident's own `topic_id` hands that topic in (提交给社区). Staff and
    民情信息员 also open a case from anyone's topic (`topic_id`) or reply (`reply_id`), or record one
    heard offline (`source`, `title`, `description`, `resident` …)."""
    if data.topic_id and data.reply_id:
        raise Invalid("topic_id 和 reply_id 只能填一个", field="topic_id")
    topic = boards.get_topic(session, data.topic_id, viewer=user) if data.topic_id else None
    post = boards.get_post(session, data.reply_id) if data.reply_id else None
    if post is not None:
        boards.get_topic(session, post.topic_id, viewer=user)
    case = intake.open_any(
        session,
        actor=user,
        topic=topic,
        post=post,
        **data.model_dump(exclude={"topic_id", "reply_id"}),
    )
    return _detail(request, session, case, user)


@router.post("/cases/{case_id}/photos", status_code=status.HTTP_201_CREATED, response_model=CaseDetail)
def add_photos(
    case: CaseDep,
    session: SessionDep,
    user: ApiUser,
    request: Request,
    photos: Annotated[list[UploadFile], File()] = [],  # noqa: B006 - FastAPI copies defaults
    note: Annotated[str, Form(max_length=4000)] = "",
    action: Annotated[str, Form(max_length=20)] = "update",
) -> CaseDetail:
    """Photos with an event: a resident's `update` (the reporter's report photos too), a unit's or
    staff's `comment` (整改前) or `resolve` (整改后). Multipart: `photos` (up to 9), `note`, `action`."""
    settings = request.app.state.settings
    service.perform(
        session,
        actor=user,
        case=case,
        action=action,
        note=note,
        uploads=read_uploads(photos, settings.max_upload_bytes),
        store=request.app.state.images,
    )
    return _detail(request, session, case, user)


@router.get("/me/cases", response_model=list[CasePublic])
def my_cases(request: Request, session: SessionDep, user: ApiUser) -> list[CasePublic]:
    """我的民情意见: the cases the caller reported, newest first; a 民情信息员's (or staff's) cases
    logged for others are at /me/cases/logged."""
    return [_public(request, session, r.case) for r in queries.my_cases(session, viewer=user).reported]


@router.get("/me/cases/logged", response_model=list[CasePublic])
def logged_cases(request: Request, session: SessionDep, user: ApiUser) -> list[CasePublic]:
    return [_public(request, session, r.case) for r in queries.my_cases(session, viewer=user).logged]


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(request: Request, case: CaseDep, session: SessionDep, user: ApiUser) -> CaseDetail:
    return _detail(request, session, case, user)


@router.post("/cases/{case_id}/events", status_code=status.HTTP_201_CREATED, response_model=CaseDetail)
def add_event(
    request: Request, case: CaseDep, data: CaseEventCreate, session: SessionDep, user: ApiUser
) -> CaseDetail:
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
        request_id=data.request_id,
    )
    return _detail(request, session, case, user)


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
    meeting = meetings.record_meeting(
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


# Declared before /meetings/{meeting_id}: routes match in order, and that one's {meeting_id} would
# take "5.ics" whole and fail as an id.
@router.get("/meetings/{meeting_id}.ics")
def meeting_ics(meeting_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep) -> Response:
    from forum.cases.ics import meeting_calendar

    return Response(meeting_calendar(meetings.get_meeting(session, meeting_id)), media_type="text/calendar")


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic)
def get_meeting(meeting_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep) -> MeetingPublic:
    return _meeting(session, meetings.get_meeting(session, meeting_id))
