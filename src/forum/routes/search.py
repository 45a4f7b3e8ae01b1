"""Search pages and API: /search, live results under the header box, 类似的民情意见 while typing a
title, and GET /api/v1/search with the same parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from forum.routes.deps import ApiUser, OptionalDate, SessionDep
from forum.search import service
from forum.search.models import SearchHitPublic, SearchResultsPublic
from forum.templating import PageDep

router = APIRouter()
Short = Annotated[str, Query(max_length=32)]


def search_request(
    q: Annotated[str, Query(max_length=10_000)] = "",
    type: Short = "",
    board: Short = "",
    tag: Short = "",
    status: Short = "",
    author: Short = "",
    date_from: OptionalDate = None,
    date_to: OptionalDate = None,
    sort: Short = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> service.SearchRequest:
    """The query string of a search; a very long q is answered with a message, not refused."""
    return service.SearchRequest(
        q=q,
        kind=type,
        board=board,
        tag=tag,
        status=status,
        author=author,
        date_from=date_from,
        date_to=date_to,
        sort=sort or "relevance",
        page=page,
    )


Search = Annotated[service.SearchRequest, Depends(search_request)]


def _url_for(request: Request) -> Any:
    return lambda name, **params: request.url_for(name, **params).path


@router.get("/search", name="search:page", include_in_schema=False)
def search_page(page: PageDep, query: Search) -> Response:
    results = service.search(
        page.session,
        backend=page.request.app.state.search,
        request=query,
        viewer=page.user,
        url_for=_url_for(page.request),
    )
    from forum.boards import service as boards

    template = (
        "search/_live.html" if page.is_htmx and page.request.query_params.get("live") else "search/page.html"
    )
    return page.render(
        template,
        results=results,
        kinds=service.KIND_LABELS,
        boards=boards.list_boards(page.session),
        categories=boards.list_categories(page.session),
    )


@router.get("/search/similar", name="search:similar", include_in_schema=False)
def similar(page: PageDep, title: Annotated[str, Query(max_length=200)] = "") -> Response:
    """类似的民情意见: shown under the title while a resident writes a new topic."""
    hits = service.similar(
        page.session,
        backend=page.request.app.state.search,
        title=title,
        viewer=page.user,
        url_for=_url_for(page.request),
    )
    return page.render("search/_similar.html", hits=hits)


@router.get("/api/v1/search", response_model=SearchResultsPublic, tags=["search"])
def api_search(request: Request, session: SessionDep, user: ApiUser, query: Search) -> SearchResultsPublic:
    """Search topics, replies, notices, 民情意见 and meetings. `type`: topic | reply | notice | case |
    meeting; `sort`: relevance | newest. Highlighted fields are escaped HTML with <mark>."""
    results = service.search(
        session, backend=request.app.state.search, request=query, viewer=user, url_for=_url_for(request)
    )
    return SearchResultsPublic(
        query=query.q[:200],
        total=results.total,
        page=query.page,
        pages=results.pages,
        message=results.message,
        items=[
            SearchHitPublic(
                kind=h.kind,
                url=h.url,
                title=h.title,
                title_html=str(h.title_html),
                snippet_html=str(h.snippet_html),
                created_at=h.created_at,
                author=h.author,
                board=h.board,
                floor=h.floor,
                status=h.status,
            )
            for h in results.hits
        ],
    )
