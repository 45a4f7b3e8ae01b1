"""Forum pages: home, board listings, topic pages, posting, replying, editing, likes, follows
and the staff's moderation buttons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from forum.boards import queries, service
from forum.boards.models import BODY_MAX, TITLE_MAX
from forum.boards.service import Upload
from forum.cases import access as case_access
from forum.cases import queries as case_queries
from forum.cases import service as cases
from forum.errors import DomainError
from forum.policy import Action, require_author_or_moderator
from forum.routes.deps import PostDep, SessionDep, TopicDep, verify_csrf
from forum.templating import Page, PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], tags=["pages"], include_in_schema=False)

Text = Annotated[str, Form(max_length=BODY_MAX * 2)]
OptionalFloor = Annotated[int | None, Form(ge=1, le=10**9)]


def _redirect(request: Request, name: str, fragment: str = "", query: str = "", **params: object) -> Response:
    url = str(request.url_for(name, **params))
    if query:
        url += "?" + query
    if fragment:
        url += "#" + fragment
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def read_uploads(files: list[UploadFile], limit: int) -> list[Upload]:
    # Read one byte past the limit so the store can tell "too large" from "exactly at the limit".
    return [Upload(f.filename or "", f.file.read(limit + 1)) for f in files if f.filename]


@router.get("/", name="boards:home")
def home(page: PageDep) -> Response:
    boards = service.list_boards(page.session)
    latest = queries.latest_topics(page.session, limit=15)
    return page.render("boards/home.html", cacheable=True, boards=boards, latest=latest)


@router.get("/b/{slug}", name="boards:board")
def board_page(
    page: PageDep,
    slug: Annotated[str, Path(max_length=32)],
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    board = service.get_board_by_slug(page.session, slug)
    categories = service.list_categories(page.session)
    selected = next((c for c in categories if c.slug == tag), None)
    listing = queries.board_listing(
        page.session,
        board=board,
        viewer=page.user,
        cursor=cursor,
        limit=page.request.app.state.settings.topics_per_page,
        tag=selected,
    )
    return page.render(
        "boards/board.html",
        cacheable=True,
        listing=listing,
        board=board,
        categories=categories,
        tag=selected,
        boards=service.list_boards(page.session),
    )


def _topic_form(
    page: Page, board_slug: str, status_code: int = 200, error: DomainError | None = None, **draft: object
) -> Response:
    board = service.get_board_by_slug(page.session, board_slug)
    return page.render(
        "boards/new_topic.html",
        status_code=status_code,
        board=board,
        categories=service.list_categories(page.session),
        error=error,
        draft=draft,
        title_max=TITLE_MAX,
        body_max=BODY_MAX,
    )


@router.get("/b/{slug}/new", name="boards:new_topic")
def new_topic_form(page: PageDep, slug: Annotated[str, Path(max_length=32)]) -> Response:
    if page.user is None:
        return _redirect(page.request, "accounts:login_form", query=f"next=/b/{slug}/new")
    return _topic_form(page, slug)


@router.post("/b/{slug}/new", name="boards:create_topic")
def create_topic(
    page: PageDep,
    slug: Annotated[str, Path(max_length=32)],
    title: Annotated[str, Form(max_length=TITLE_MAX * 4)] = "",
    body: Text = "",
    tags: Annotated[list[str], Form(max_length=9)] = [],  # noqa: B006 - FastAPI copies defaults
    images: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> Response:
    settings = page.request.app.state.settings
    board = service.get_board_by_slug(page.session, slug)
    topic = page.attempt(
        lambda: service.create_topic(
            page.session,
            actor=page.user,
            board=board,
            title=title,
            body=body,
            tags=tags,
            uploads=read_uploads(images, settings.max_upload_bytes),
            store=page.request.app.state.images,
            max_images=settings.max_images_per_post,
        ),
        lambda error, status: _topic_form(
            page, slug, status_code=status, error=error, title=title, body=body, tags=tags
        ),
    )
    if isinstance(topic, Response):
        return topic
    return _redirect(page.request, "boards:topic", topic_id=topic.id)


@router.get("/t/{topic_id}", name="boards:topic")
def topic_page(
    page: PageDep,
    topic: TopicDep,
    p: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1,
    author: Annotated[int, Query(ge=0, le=1)] = 0,
    after: Annotated[int | None, Query(ge=0, le=10**9)] = None,
) -> Response:
    settings = page.request.app.state.settings
    view = queries.topic_page(
        page.session,
        topic=topic,
        viewer=page.user,
        page=p,
        author_only=bool(author),
        after=after,
        per_page=settings.floors_per_page,
        subs_shown=settings.subreplies_shown,
    )
    return _render_topic(page, view, cacheable=True)


def _render_topic(
    page: Page,
    view: queries.TopicPageView,
    status_code: int = 200,
    cacheable: bool = False,
    **extra: object,
) -> Response:
    """The topic page, with the banner of the 民情意见 case the topic was turned into, if any."""
    topic = view.topic
    banner = case_queries.banner_for_topic(page.session, topic_id=topic.id)  # type: ignore[arg-type]
    case = case_access.get_case(page.session, banner.case_id) if banner else None
    return page.render(
        "boards/topic.html",
        status_code=status_code,
        cacheable=cacheable,
        view=view,
        following=service.is_following(page.session, user=page.user, topic=topic),
        boards=service.list_boards(page.session) if page.user is not None else [],
        banner=banner,
        banner_case=case,
        banner_supported=case is not None and cases.has_supported(page.session, user=page.user, case=case),
        notice_id=service.notice_of_topic(page.session, topic.id),  # type: ignore[arg-type]
        **extra,
    )


@router.get("/t/{topic_id}/floor/{floor}", name="boards:floor")
def floor_link(request: Request, topic: TopicDep, floor: Annotated[int, Path(ge=1, le=10**9)]) -> Response:
    """A direct link to floor N: the page that holds it, scrolled to it."""
    per_page = request.app.state.settings.floors_per_page
    number = queries.page_of_floor(min(max(floor, 1), topic.floor_count), per_page)
    return _redirect(
        request, "boards:topic", fragment=f"floor-{floor}", query=f"page={number}", topic_id=topic.id
    )


@router.get("/p/{post_id}", name="boards:post")
def post_link(request: Request, post: PostDep, session: SessionDep) -> Response:
    """Where a post lives: its floor, or for a 楼中楼 reply the floor it sits under."""
    floor = post.floor
    fragment = f"floor-{floor}"
    if floor is None:
        parent = service.get_post(session, post.parent_id)  # type: ignore[arg-type]
        floor, fragment = parent.floor or 1, f"post-{post.id}"
    per_page = request.app.state.settings.floors_per_page
    return _redirect(
        request,
        "boards:topic",
        fragment=fragment,
        query=f"page={queries.page_of_floor(floor, per_page)}",
        topic_id=post.topic_id,
    )


@router.post("/t/{topic_id}/reply", name="boards:reply")
def reply(
    page: PageDep,
    topic: TopicDep,
    body: Text = "",
    parent_floor: OptionalFloor = None,
    quote_floor: OptionalFloor = None,
    reply_to: Annotated[str | None, Form(max_length=20)] = None,
    images: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> Response:
    settings = page.request.app.state.settings

    def show_form(error: DomainError, status: int) -> Response:
        view = queries.topic_page(
            page.session,
            topic=topic,
            viewer=page.user,
            page=10**6,
            per_page=settings.floors_per_page,
            subs_shown=settings.subreplies_shown,
        )
        draft = {"body": body, "parent_floor": parent_floor, "quote_floor": quote_floor}
        return _render_topic(page, view, status_code=status, error=error, draft=draft)

    post = page.attempt(
        lambda: service.reply(
            page.session,
            actor=page.user,
            topic=topic,
            body=body,
            parent_floor=parent_floor,
            quote_floor=quote_floor,
            reply_to=reply_to,
            uploads=read_uploads(images, settings.max_upload_bytes),
            store=page.request.app.state.images,
            max_images=settings.max_images_per_post,
        ),
        show_form,
    )
    if isinstance(post, Response):
        return post
    return _redirect(page.request, "boards:post", post_id=post.id)


@router.get("/p/{post_id}/subreplies", name="boards:subreplies")
def subreplies(page: PageDep, post: PostDep) -> Response:
    """All 楼中楼 replies of a floor: a fragment for htmx's 展开, a page without JavaScript."""
    topic = service.get_topic(page.session, post.topic_id, viewer=page.user)
    subs = queries.subreplies(page.session, parent=post, viewer=page.user)
    template = "boards/_subreplies.html" if page.is_htmx else "boards/subreplies.html"
    return page.render(template, topic=topic, parent=post, subs=subs)


@router.get("/p/{post_id}/edit", name="boards:edit_form")
def edit_form(page: PageDep, post: PostDep) -> Response:
    # The form only for whoever may send it: the author or a moderator.
    require_author_or_moderator(page.user, post.author_id, Action.EDIT_OWN)
    topic = service.get_topic(page.session, post.topic_id, viewer=page.user)
    return page.render(
        "boards/edit.html",
        post=post,
        topic=topic,
        draft={"body": post.body, "title": topic.title},
        title_max=TITLE_MAX,
        body_max=BODY_MAX,
        error=None,
    )


@router.post("/p/{post_id}/edit", name="boards:edit")
def edit(
    page: PageDep,
    post: PostDep,
    body: Text = "",
    title: Annotated[str | None, Form(max_length=TITLE_MAX * 4)] = None,
) -> Response:
    topic = service.get_topic(page.session, post.topic_id, viewer=page.user)
    edited = page.attempt(
        lambda: service.edit_post(
            page.session, actor=page.user, post=post, body=body, title=title if post.floor == 1 else None
        ),
        lambda error, status: page.render(
            "boards/edit.html",
            status_code=status,
            post=post,
            topic=topic,
            error=error,
            draft={"body": body, "title": title or topic.title},
            title_max=TITLE_MAX,
            body_max=BODY_MAX,
        ),
    )
    if isinstance(edited, Response):
        return edited
    return _redirect(page.request, "boards:post", post_id=post.id)


@router.get("/p/{post_id}/revisions", name="boards:revisions")
def revisions(page: PageDep, post: PostDep) -> Response:
    items = service.revisions(page.session, actor=page.user, post=post)
    topic = service.get_topic(page.session, post.topic_id, viewer=page.user)
    return page.render("boards/revisions.html", post=post, topic=topic, revisions=items)


@router.post("/p/{post_id}/delete", name="boards:delete")
def delete(page: PageDep, post: PostDep) -> Response:
    topic = service.delete_post(page.session, actor=page.user, post=post)
    if post.floor == 1:
        board = service.get_board(page.session, topic.board_id)
        return _redirect(page.request, "boards:board", slug=board.slug)
    return _redirect(page.request, "boards:post", post_id=post.id)


@router.post("/p/{post_id}/like", name="boards:like")
def like(page: PageDep, post: PostDep, on: Annotated[int, Form(ge=0, le=1)] = 1) -> Response:
    service.like(page.session, actor=page.user, post=post, on=bool(on))
    if page.is_htmx:
        return page.render("boards/_like.html", post=post, liked=bool(on))
    return _redirect(page.request, "boards:post", post_id=post.id)


@router.post("/t/{topic_id}/follow", name="boards:follow")
def follow(page: PageDep, topic: TopicDep, on: Annotated[int, Form(ge=0, le=1)] = 1) -> Response:
    service.follow(page.session, actor=page.user, topic=topic, on=bool(on))
    if page.is_htmx:
        return page.render("boards/_follow.html", topic=topic, following=bool(on))
    return _redirect(page.request, "boards:topic", topic_id=topic.id)


# --- moderation ----------------------------------------------------------------------------------

_FLAGS = {
    "pin": ("is_pinned", True),
    "unpin": ("is_pinned", False),
    "feature": ("is_featured", True),
    "unfeature": ("is_featured", False),
    "lock": ("is_locked", True),
    "unlock": ("is_locked", False),
}


@router.post("/t/{topic_id}/moderate", name="boards:moderate")
def moderate(
    page: PageDep, topic: TopicDep, action: Annotated[str, Form(pattern="^(un)?(pin|feature|lock)$")]
) -> Response:
    flag, value = _FLAGS[action]
    service.set_topic_flag(page.session, actor=page.user, topic=topic, flag=flag, value=value)
    return _redirect(page.request, "boards:topic", topic_id=topic.id)


@router.post("/t/{topic_id}/move", name="boards:move")
def move(page: PageDep, topic: TopicDep, board_id: Annotated[int, Form(ge=1, le=2**62)]) -> Response:
    board = service.get_board(page.session, board_id)
    service.move_topic(page.session, actor=page.user, topic=topic, board=board)
    return _redirect(page.request, "boards:topic", topic_id=topic.id)


@router.post("/p/{post_id}/hide", name="boards:hide")
def hide(page: PageDep, post: PostDep, hidden: Annotated[int, Form(ge=0, le=1)] = 1) -> Response:
    service.set_post_hidden(page.session, actor=page.user, post=post, hidden=bool(hidden))
    return _redirect(page.request, "boards:post", post_id=post.id)
