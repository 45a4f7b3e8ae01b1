"""民情意见 pages: the public 公示 list, the staff queue and CSV export, a unit's 待办, opening a
case from a post or offline, the case page with its timeline and actions, meetings, and the
admin page for units and category routing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from forum.accounts import service as accounts
from forum.boards import service as boards
from forum.cases import queries, service
from forum.cases.ics import meeting_calendar
from forum.cases.models import Case, MeetingKind
from forum.cases.workflow import Party, allowed_actions
from forum.errors import DomainError, Invalid
from forum.policy import Action, require
from forum.routes.deps import OptionalDate, OptionalId, PostDep, SessionDep, Viewer, verify_csrf
from forum.templating import Page, PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Note = Annotated[str, Form(max_length=4000)]


def case_filters(
    status: Annotated[list[str], Query(max_length=8)] = [],  # noqa: B006
    category: OptionalId = None,
    unit: OptionalId = None,
    handler: OptionalId = None,
    building: Annotated[str | None, Query(max_length=10)] = None,
    overdue: Annotated[int, Query(ge=0, le=1)] = 0,
    source: Annotated[str | None, Query(max_length=16)] = None,
    date_from: OptionalDate = None,
    date_to: OptionalDate = None,
    sort: Annotated[str, Query(max_length=10)] = "newest",
) -> queries.CaseFilters:
    """The list filters, from the query string (pages and API alike); empty values mean "any"."""
    return queries.CaseFilters(
        status=[s for s in status if s],
        category_id=category,
        unit_id=unit,
        handler_id=handler,
        building=building or None,
        overdue=bool(overdue),
        source=source or None,
        date_from=date_from,
        date_to=date_to,
        sort=sort or "newest",
    ).validate()


Filters = Annotated[queries.CaseFilters, Depends(case_filters)]
Cursor = Annotated[str | None, Query(max_length=100)]


def get_case_or_404(case_id: Id, session: SessionDep, user: Viewer) -> Case:
    return service.get_visible_case(session, case_id, viewer=user)


CaseDep = Annotated[Case, Depends(get_case_or_404)]


def _choices(page: Page) -> dict[str, object]:
    return {
        "categories": boards.list_categories(page.session),
        "units": service.list_units(page.session),
        "sorts": queries.SORTS,
    }


@router.get("/cases", name="cases:public")
def public_list(page: PageDep, filters: Filters, cursor: Cursor = None) -> Response:
    """民情意见公示: every non-private case with status, unit, days open and supporters."""
    listing = queries.case_list(page.session, filters=filters, cursor=cursor, public=True)
    return page.render("cases/public.html", listing=listing, filters=filters, **_choices(page))


@router.get("/cases/queue", name="cases:queue")
def queue(page: PageDep, filters: Filters, cursor: Cursor = None) -> Response:
    require(page.user, Action.VIEW_CASE_QUEUE)
    listing = queries.case_list(page.session, filters=filters, cursor=cursor)
    return page.render(
        "cases/queue.html",
        handlers=queries.handlers(page.session),
        listing=listing,
        filters=filters,
        query=page.request.url.query,
        **_choices(page),
    )


@router.get("/cases/queue.csv", name="cases:export")
def export(page: PageDep, filters: Filters) -> Response:
    """The filtered staff list as CSV (all pages)."""
    require(page.user, Action.VIEW_CASE_QUEUE)
    rows: list[queries.CaseRow] = []
    cursor = None
    while True:
        listing = queries.case_list(page.session, filters=filters, cursor=cursor, limit=500)
        rows += listing.rows
        cursor = listing.next_cursor
        if cursor is None or len(rows) >= 50_000:
            break
    stamp = datetime.now().strftime("%Y%m%d")
    return Response(
        queries.export_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="minqing-{stamp}.csv"'},
    )


@router.get("/cases/todo", name="cases:todo")
def todo(page: PageDep) -> Response:
    """我的待办 for a unit contact: their units' open cases, oldest first."""
    if page.user is None:
        return RedirectResponse("/login?next=/cases/todo", status_code=303)
    return page.render("cases/todo.html", rows=queries.todo(page.session, user=page.user))


def _case_form(
    page: Page,
    *,
    post=None,
    status_code: int = 200,
    error: DomainError | None = None,  # type: ignore[no-untyped-def]
    draft: dict | None = None,
) -> Response:
    require(page.user, Action.OPEN_CASE)
    topic = boards.get_topic(page.session, post.topic_id, viewer=page.user) if post is not None else None
    if draft is None:
        draft = {}
        if topic is not None:
            from forum.boards.queries import tags_by_topic

            tags = tags_by_topic(page.session, [topic.id]).get(topic.id, [])  # type: ignore[list-item]
            category = tags[0] if tags else None
            route = service.route_of(page.session, category.id if category else None)
            draft = {
                "title": topic.title,
                "category": category.slug if category else "",
                "unit": str(route.unit_id) if route and route.unit_id else "",
            }
    return page.render(
        "cases/new.html",
        status_code=status_code,
        post=post,
        topic=topic,
        error=error,
        draft=draft,
        sources=service.Source,
        **_choices(page),
    )


@router.get("/cases/new", name="cases:new")
def new_offline(page: PageDep) -> Response:
    return _case_form(page)


@router.get("/p/{post_id}/flag", name="cases:flag_form")
def flag_form(page: PageDep, post: PostDep) -> Response:
    return _case_form(page, post=post)


def _open(page: Page, post, form: dict) -> Response:  # type: ignore[no-untyped-def]
    case = page.attempt(
        lambda: service.open_case(page.session, actor=page.user, post=post, **form),
        lambda error, status: _case_form(page, post=post, status_code=status, error=error, draft=form),
    )
    if isinstance(case, Response):
        return case
    return RedirectResponse(str(page.request.url_for("cases:case", case_id=case.id)), status_code=303)


Short = Annotated[str, Form(max_length=200)]


@router.post("/p/{post_id}/flag", name="cases:flag")
def flag(
    page: PageDep,
    post: PostDep,
    title: Short = "",
    category: Short = "",
    unit: Short = "",
    building: Short = "",
    location: Short = "",
    priority: Short = "normal",
    is_private: Annotated[bool, Form()] = False,
) -> Response:
    """Turn a topic or a floor into a 民情意见 case."""
    return _open(
        page,
        post,
        {
            "title": title,
            "category": category,
            "unit": unit,
            "building": building,
            "location": location,
            "priority": priority,
            "is_private": is_private,
        },
    )


@router.post("/cases/new", name="cases:create")
def create_offline(
    page: PageDep,
    title: Short = "",
    description: Annotated[str, Form(max_length=10000)] = "",
    source: Short = "",
    category: Short = "",
    unit: Short = "",
    building: Short = "",
    location: Short = "",
    priority: Short = "normal",
    is_private: Annotated[bool, Form()] = False,
    resident: Short = "",
) -> Response:
    """Record a concern heard offline (走访, 电话, 来访, 民情联系卡, 民情日志)."""
    return _open(
        page,
        None,
        {
            "title": title,
            "description": description,
            "source": source,
            "category": category,
            "unit": unit,
            "building": building,
            "location": location,
            "priority": priority,
            "is_private": is_private,
            "resident": resident,
        },
    )


def _case_page(page: Page, case: Case, status_code: int = 200, error: DomainError | None = None) -> Response:
    parties = service.who(page.session, page.user, case)
    staff = Party.STAFF in parties
    return page.render(
        "cases/case.html",
        status_code=status_code,
        case=case,
        error=error,
        row=queries.rows(page.session, [case])[0],
        parties=parties,
        staff=staff,
        actions=allowed_actions(case, parties),
        timeline=queries.timeline(page.session, case=case, staff=staff),
        posts=queries.linked_posts(page.session, case=case),
        meetings=queries.meetings_of(page.session, case=case),
        supported=service.has_supported(page.session, user=page.user, case=case),
        units=service.list_units(page.session, active_only=True),
    )


@router.get("/cases/{case_id}", name="cases:case")
def case_page(page: PageDep, case: CaseDep) -> Response:
    return _case_page(page, case)


@router.post("/cases/{case_id}/act", name="cases:act")
def act(
    page: PageDep,
    case: CaseDep,
    action: Short,
    note: Note = "",
    version: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    rating: Short = "",
    into: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    unit: Short = "",
    handler: Short = "",
    due_date: Short = "",
    private: Annotated[bool, Form()] = False,
) -> Response:
    """Every button and form on the case page lands here: one service call."""

    def show_form(error: DomainError, status: int) -> Response:
        page.session.refresh(case)
        return _case_page(page, case, status_code=status, error=error)

    done = page.attempt(
        lambda: service.perform(
            page.session,
            actor=page.user,
            case=case,
            action=action,
            note=note,
            version=version,
            rating=rating or None,
            into=into,
            unit=unit or None,
            handler=handler or None,
            due_date=due_date or None,
            private=private,
        ),
        show_form,
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(str(page.request.url_for("cases:case", case_id=case.id)), status_code=303)


@router.post("/cases/{case_id}/support", name="cases:support")
def support(
    page: PageDep,
    case: CaseDep,
    on: Annotated[int, Form(ge=0, le=1)] = 1,
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """我也遇到, from the case page or the topic it came from."""
    service.support(page.session, actor=page.user, case=case, on=bool(on))
    if page.is_htmx:
        return page.render("cases/_support.html", case=case, supported=bool(on))
    target = (
        back
        if back.startswith("/") and not back.startswith("//")
        else str(page.request.url_for("cases:case", case_id=case.id))
    )
    return RedirectResponse(target, status_code=303)


# --- meetings ------------------------------------------------------------------------------------


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
        lambda: service.record_meeting(
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
        return [int(x) for x in text.replace("，", ",").replace("#", "").split(",") if x.strip()]
    except ValueError:
        raise Invalid("关联的民情意见请填编号，用逗号分隔", field="case_ids") from None


def _when(value: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("时间格式应为 2025-03-01T14:30", field=field) from None


@router.get("/meetings/{meeting_id}", name="cases:meeting")
def meeting_page(page: PageDep, meeting_id: Id) -> Response:
    meeting = service.get_meeting(page.session, meeting_id)
    cases = [
        c
        for c in queries.cases_of_meeting(page.session, meeting=meeting)
        if service.can_see(page.session, page.user, c)
    ]
    return page.render("cases/meeting.html", meeting=meeting, cases=cases)


@router.get("/meetings/{meeting_id}/ics", name="cases:meeting_ics")
def meeting_ics(request: Request, session: SessionDep, meeting_id: Id) -> Response:
    meeting = service.get_meeting(session, meeting_id)
    return Response(
        meeting_calendar(meeting, host=request.url.hostname or "forum.local"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


# --- units and routing (admin) -------------------------------------------------------------------


@router.get("/admin/units", name="cases:units")
def units_page(page: PageDep) -> Response:
    return units(page)


def units(page: Page, status_code: int = 200, error: DomainError | None = None) -> Response:
    require(page.user, Action.MANAGE_UNITS)
    all_units = service.list_units(page.session)
    return page.render(
        "cases/units.html",
        status_code=status_code,
        error=error,
        units=all_units,
        members={u.id: service.unit_members(page.session, u.id) for u in all_units},  # type: ignore[arg-type]
        categories=boards.list_categories(page.session),
        routes={c.id: service.route_of(page.session, c.id) for c in boards.list_categories(page.session)},
    )


def _admin(page: Page, change) -> Response:  # type: ignore[no-untyped-def]
    done = page.attempt(change, lambda error, status: units(page, status_code=status, error=error))
    return (
        done
        if isinstance(done, Response)
        else RedirectResponse(str(page.request.url_for("cases:units")), status_code=303)
    )


@router.post("/admin/units", name="cases:create_unit")
def create_unit(page: PageDep, name: Short = "", kind: Short = "", phone: Short = "") -> Response:
    return _admin(
        page, lambda: service.create_unit(page.session, actor=page.user, name=name, kind=kind, phone=phone)
    )


@router.post("/admin/units/{unit_id}/members", name="cases:unit_member")
def unit_member(
    page: PageDep, unit_id: Id, username: Short = "", on: Annotated[int, Form(ge=0, le=1)] = 1
) -> Response:
    def change() -> None:
        unit = service.get_unit(page.session, unit_id)
        user = accounts.get_user_by_name(page.session, username)
        service.set_unit_member(page.session, actor=page.user, unit=unit, user=user, on=bool(on))

    return _admin(page, change)


@router.post("/admin/routes/{category_id}", name="cases:set_route")
def set_route(
    page: PageDep, category_id: Id, unit: Short = "", deadline_days: Annotated[int, Form(ge=1, le=365)] = 7
) -> Response:
    def change() -> None:
        category = boards.get_category(page.session, category_id)
        service.set_route(
            page.session,
            actor=page.user,
            category=category,
            unit=service.find_unit(page.session, unit or None),
            deadline_days=deadline_days,
        )

    return _admin(page, change)
