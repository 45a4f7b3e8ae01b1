"""Atom feeds and the community calendar. Feed readers send no cookies: every feed shows what a
visitor may see, whoever asks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from forum.boards import service as boards
from forum.cases import access as case_access
from forum.feeds import atom, calendar, queries
from forum.routes.deps import SessionDep
from forum.timeutil import utcnow

router = APIRouter(tags=["feeds"], include_in_schema=False)

ATOM = "application/atom+xml; charset=utf-8"
CACHE = {"Cache-Control": "public, max-age=60"}
Slug = Annotated[str, Path(max_length=32)]
Id = Annotated[int, Path(ge=1, le=2**62)]


def _url_for(request: Request) -> atom.UrlFor:
    return lambda name, **params: str(request.url_for(name, **params))


def _newest(entries: list[atom.Entry]):  # type: ignore[no-untyped-def]
    return max((e.updated for e in entries), default=utcnow())


@router.get("/feeds/boards/{slug}.atom", name="feeds:board")
def board_feed(request: Request, session: SessionDep, slug: Slug) -> Response:
    board = boards.get_board_by_slug(session, slug)
    url_for = _url_for(request)
    entries = queries.board_entries(session, board=board, url_for=url_for)
    body = atom.render(
        feed_id=f"board:{board.id}",
        title=f"{board.name} · 新帖",
        subtitle=board.description or f"{board.name}的最新主题",
        link=url_for("boards:board", slug=board.slug),
        self_link=str(request.url),
        entries=entries,
        updated=_newest(entries),
    )
    return Response(body, media_type=ATOM, headers=CACHE)


@router.get("/feeds/cases/{case_id}.atom", name="feeds:case")
def case_feed(request: Request, session: SessionDep, case_id: Id) -> Response:
    case = case_access.get_visible_case(session, case_id, viewer=None)
    url_for = _url_for(request)
    entries = queries.case_entries(session, case=case, url_for=url_for)
    body = atom.render(
        feed_id=f"case:{case.id}",
        title=f"民情意见 #{case.id}：{case.title}",
        subtitle="办理进度（公开时间线）",
        link=url_for("cases:case", case_id=case.id),
        self_link=str(request.url),
        entries=entries,
        updated=_newest(entries),
    )
    return Response(body, media_type=ATOM, headers=CACHE)


@router.get("/feeds/notices.atom", name="feeds:notices")
def notices_feed(request: Request, session: SessionDep) -> Response:
    url_for = _url_for(request)
    entries = queries.notice_entries(session, url_for=url_for)
    body = atom.render(
        feed_id="notices",
        title="居务公开 · 社区公告",
        subtitle="通知公告、财务公开、会议纪要、评议结果、办事指南",
        link=url_for("notices:list"),
        self_link=str(request.url),
        entries=entries,
        updated=_newest(entries),
    )
    return Response(body, media_type=ATOM, headers=CACHE)


@router.get("/calendar.ics", name="feeds:calendar")
def community_calendar(request: Request, session: SessionDep) -> Response:
    body = calendar.community_calendar(session, url_for=_url_for(request), host=request.url.hostname)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={**CACHE, "Content-Disposition": 'inline; filename="shequba.ics"'},
    )
