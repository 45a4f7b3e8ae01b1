"""A resident's own concerns: 我要反映 (with similar open cases offered while typing), 提交给社区
from their own topic, and 我的民情意见."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import RedirectResponse, Response

from forum.boards import service as boards
from forum.cases import intake, queries
from forum.cases.workflow import LIVE
from forum.errors import DomainError
from forum.routes.boards import read_uploads
from forum.routes.deps import TopicDep, verify_csrf
from forum.routes.search import _url_for
from forum.search import service as search
from forum.search.documents import DocKind
from forum.templating import Page, PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]


def _login_first(page: Page, back: str) -> Response | None:
    if page.user is None:
        return RedirectResponse(f"/login?next={back}", status_code=303)
    return None


def _report_form(
    page: Page, *, status_code: int = 200, error: DomainError | None = None, draft: dict | None = None
) -> Response:
    return page.render(
        "cases/report.html",
        status_code=status_code,
        error=error,
        draft=draft if draft is not None else intake.household_prefill(page.session, page.user),
        categories=boards.list_categories(page.session),
    )


@router.get("/cases/report", name="cases:report_form")
def report_form(page: PageDep) -> Response:
    """我要反映: phone-first, building and 单元 filled in from the verified household."""
    return _login_first(page, "/cases/report") or _report_form(page)


@router.post("/cases/report", name="cases:report")
def report(
    page: PageDep,
    description: Annotated[str, Form(max_length=20000)] = "",
    title: Short = "",
    category: Short = "",
    building: Short = "",
    entrance: Short = "",
    location: Short = "",
    contact: Short = "",
    is_private: Annotated[bool, Form()] = False,
    photos: Annotated[list[UploadFile], File()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    settings = page.request.app.state.settings
    draft = {
        "description": description,
        "title": title,
        "category": category,
        "building": building,
        "entrance": entrance,
        "location": location,
        "contact": contact,
        "is_private": is_private,
    }
    case = page.attempt(
        lambda: intake.report_concern(
            page.session,
            actor=page.user,
            description=description,
            title=title,
            category=category,
            building=building,
            entrance=entrance,
            location=location,
            contact=contact,
            is_private=is_private,
            uploads=read_uploads(photos, settings.max_upload_bytes),
            store=page.request.app.state.images,
        ),
        lambda error, status: _report_form(page, status_code=status, error=error, draft=draft),
    )
    if isinstance(case, Response):
        return case
    return RedirectResponse(str(page.request.url_for("cases:case", case_id=case.id)), status_code=303)


@router.get("/cases/report/similar", name="cases:report_similar")
def report_similar(page: PageDep, description: Annotated[str, Query(max_length=2000)] = "") -> Response:
    """Open cases like the one being typed, each with a one-tap 我也遇到."""
    hits = search.similar(
        page.session,
        backend=page.request.app.state.search,
        title=intake.title_from(description)[:200],
        viewer=page.user,
        url_for=_url_for(page.request),
        kinds=(DocKind.CASE,),
        statuses=LIVE,
        limit=4,
        # A sentence, not a title: the cases that share most of its words come first, down to one
        # ("电梯"), so a neighbour's report of the same lift is offered however it was worded.
        fewest=1,
    )
    return page.render("cases/_similar_open.html", hits=hits)


@router.post("/t/{topic_id}/concern", name="cases:submit_topic")
def submit_topic(page: PageDep, topic: TopicDep, category: Short = "") -> Response:
    """提交给社区: the author hands their topic to the community as a concern."""
    case = page.attempt(
        lambda: intake.submit_topic(page.session, actor=page.user, topic=topic, category=category or None),
        lambda error, status: page.render(
            "cases/submit_topic.html",
            status_code=status,
            error=error,
            topic=topic,
            tags=intake.topic_categories(page.session, topic.id),  # type: ignore[arg-type]
        ),
    )
    if isinstance(case, Response):
        return case
    return RedirectResponse(str(page.request.url_for("cases:case", case_id=case.id)), status_code=303)


@router.get("/me/cases", name="cases:mine")
def mine(page: PageDep) -> Response:
    """我的民情意见: what I reported, and (for a 民情信息员 or staff) what I logged for others."""
    if (back := _login_first(page, "/me/cases")) is not None:
        return back
    mine = queries.my_cases(page.session, viewer=page.user)
    return page.render("cases/mine.html", reported=mine.reported, logged=mine.logged)
