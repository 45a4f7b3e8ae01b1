"""Coordination meetings (协调会) and the 四会: the list, recording one, its page and its .ics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from forum.cases import access, queries
from forum.cases import meetings as case_meetings
from forum.cases.ics import meeting_calendar
from forum.cases.models import MeetingKind
from forum.errors import Invalid
from forum.policy import Action, require
from forum.routes.deps import SessionDep, verify_csrf
from forum.templating import PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Short = Annotated[str, Form(max_length=200)]


@router.get("/meetings", name="cases:meetings")
def meetings(page: PageDep) -> Response:
    return page.render("cases/meetings.html", meetings=queries.list_meetings(page.session))


@router.get("/meetings/new", name="cases:new_meeting")
def new_meeting(page: PageDep, case: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    require(page.user, Action.RECORD_MEETING)
    return page.render(
        "cases/meeting_new.html",
        error=None,
        kinds=MeetingKind,
        draft={"case_ids": str(case) if case else "", "kind": "coordination"},
    )


@router.post("/meetings/new", name="cases:create_meeting")
def create_meeting(
    page: PageDep,
    kind: Short = "",
    title: Short = "",
    starts_at: Short = "",
    ends_at: Short = "",
    place: Short = "",
    attendees: Annotated[str, Form(max_length=2000)] = "",
    minutes: Annotated[str, Form(max_length=20000)] = "",
    decisions: Annotated[str, Form(max_length=10000)] = "",
    case_ids: Short = "",
) -> Response:
    require(page.user, Action.RECORD_MEETING)
    draft = {
        "kind": kind,
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place,
        "attendees": attendees,
        "minutes": minutes,
        "decisions": decisions,
        "case_ids": case_ids,
    }
    meeting = page.attempt(
        lambda: case_meetings.record_meeting(
            page.session,
            actor=page.user,
            kind=kind,
            title=title,
            starts_at=_when(starts_at, "starts_at"),
            ends_at=_when(ends_at, "ends_at") if ends_at else None,
            place=place,
            attendees=attendees,
            minutes=minutes,
            decisions=decisions,
            case_ids=_case_ids(case_ids),
        ),
        lambda error, status: page.render(
            "cases/meeting_new.html", status_code=status, kinds=MeetingKind, draft=draft, error=error
        ),
    )
    if isinstance(meeting, Response):
        return meeting
    return RedirectResponse(
        str(page.request.url_for("cases:meeting", meeting_id=meeting.id)), status_code=303
    )


def _case_ids(text: str) -> list[int]:
    """“#3, 7，12” -> [3, 7, 12]."""
    try:
        ids = [int(x) for x in text.replace("，", ",").replace("#", "").split(",") if x.strip()]
    except ValueError:
        raise Invalid("关联的民情意见请填编号，用逗号分隔", field="case_ids") from None
    if any(not 1 <= i <= 2**62 for i in ids) or len(ids) > 50:
        raise Invalid("关联的民情意见编号有误（最多 50 个）", field="case_ids")
    return ids


def _when(value: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("时间格式应为 2025-03-01T14:30", field=field) from None


@router.get("/meetings/{meeting_id}", name="cases:meeting")
def meeting_page(page: PageDep, meeting_id: Id) -> Response:
    meeting = case_meetings.get_meeting(page.session, meeting_id)
    cases = [
        c
        for c in queries.cases_of_meeting(page.session, meeting=meeting)
        if access.can_see(page.session, page.user, c)
    ]
    return page.render("cases/meeting.html", meeting=meeting, cases=cases)


@router.get("/meetings/{meeting_id}/ics", name="cases:meeting_ics")
def meeting_ics(request: Request, session: SessionDep, meeting_id: Id) -> Response:
    meeting = case_meetings.get_meeting(session, meeting_id)
    return Response(
        meeting_calendar(meeting, host=request.url.hostname or "forum.local"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )
