"""民情意见 pages: the public 公示 list, the staff queue and CSV export, a unit's 待办, staff
opening a case from a post or offline, and the case page with its timeline, photos and actions.
Residents' own reports are in routes/concerns.py, meetings in routes/meetings.py, units in
routes/units.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import RedirectResponse, Response

from forum.boards import service as boards
from forum.cases import access, intake, photos, pushback, queries, service, units
from forum.cases.models import Case, Source
from forum.cases.workflow import Party, allowed_actions, transitions
from forum.errors import DomainError
from forum.policy import Action, require
from forum.routes.boards import read_uploads
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
    return access.get_visible_case(session, case_id, viewer=user)


CaseDep = Annotated[Case, Depends(get_case_or_404)]


def _choices(page: Page) -> dict[str, object]:
    return {
        "categories": boards.list_categories(page.session),
        "units": units.list_units(page.session),
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
    tags = intake.topic_categories(page.session, topic.id) if topic is not None else []  # type: ignore[arg-type]
    if draft is None:
        draft = {}
        if topic is not None:
            # With several tags the form asks which one routes the case (nothing is pre-chosen).
            category = tags[0] if len(tags) == 1 else None
            route = units.route_of(page.session, category.id if category else None)
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
        topic_tags=tags,
        error=error,
        draft=draft,
        sources=[s for s in Source if s not in (Source.FORUM, Source.REPORT)],
        lonely=units.units_without_contact(page.session),
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
        lambda: intake.open_case(page.session, actor=page.user, post=post, **form),
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
    entrance: Short = "",
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
            "entrance": entrance,
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
    entrance: Short = "",
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
            "entrance": entrance,
            "location": location,
            "priority": priority,
            "is_private": is_private,
            "resident": resident,
        },
    )


def _case_page(page: Page, case: Case, status_code: int = 200, error: DomainError | None = None) -> Response:
    parties = access.who(page.session, page.user, case)
    staff = Party.STAFF in parties
    actions = allowed_actions(case, parties)
    return page.render(
        "cases/case.html",
        status_code=status_code,
        case=case,
        error=error,
        row=queries.rows(page.session, [case])[0],
        parties=parties,
        staff=staff,
        actions=actions,
        transitions=transitions(actions),
        description_html=queries.description_html(case),
        timeline=queries.timeline(page.session, case=case, staff=staff),
        posts=queries.linked_posts(page.session, case=case),
        photos=photos.photos_of(page.session, case, staff=staff),
        meetings=queries.meetings_of(page.session, case=case),
        requests=pushback.requests_of(page.session, case) if staff or Party.UNIT in parties else [],
        pending=pushback.pending(page.session, case),
        warning=service.unit_warning(page.session, case) if staff else None,
        supported=service.has_supported(page.session, user=page.user, case=case),
        units=units.list_units(page.session, active_only=True),
        lonely=units.units_without_contact(page.session) if staff else set(),
        # Contact details are for the people handling the case.
        show_contact=staff or Party.UNIT in parties,
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
    request_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    photos: Annotated[list[UploadFile], File()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """Every button and form on the case page lands here: one service call."""
    settings = page.request.app.state.settings

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
            request_id=request_id,
            uploads=read_uploads(photos, settings.max_upload_bytes),
            store=page.request.app.state.images,
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
