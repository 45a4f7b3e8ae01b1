"""JSON API under /api/v1: the same services and rules as the pages, token auth."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from forum.accounts import service as accounts
from forum.accounts.models import PasswordChange, TokenRequest, TokenResponse, User, UserCreate, UserPublic
from forum.boards import queries, service
from forum.boards.models import (
    AuthorPublic,
    BoardPublic,
    PostPage,
    PostPublic,
    ReplyCreate,
    ReplyUpdate,
    Topic,
    TopicCreate,
    TopicDetail,
    TopicPage,
    TopicPublic,
    TopicUpdate,
)
from forum.errors import NotAuthenticated
from forum.notifications import service as notifications
from forum.routes.deps import ApiUser, BoardDep, PostDep, SessionDep, TopicDep

router = APIRouter(prefix="/api/v1", tags=["api"])
Cursor = Annotated[str | None, Query(max_length=100)]


def _author(user: User) -> AuthorPublic:
    return AuthorPublic(id=user.id, username=user.username, is_verified=user.is_verified)  # type: ignore[arg-type]


def _post(request: Request, view: queries.PostView, parent_floor: int | None = None) -> PostPublic:
    p = view.post
    return PostPublic(
        id=p.id,
        floor=p.floor,
        parent_floor=parent_floor,
        quote_floor=view.quote.floor if view.quote else None,  # type: ignore[arg-type]
        author=_author(view.author),
        body=p.body if view.show_body else None,
        body_html=p.body_html if view.show_body else None,
        created_at=p.created_at,
        edited_at=p.edited_at,
        deleted=p.deleted_at is not None,
        hidden=p.hidden_at is not None,
        like_count=p.like_count,
        sub_count=p.sub_count,
        images=[str(request.url_for("media:file", name=f"{i.key}.{i.ext}")) for i in view.images],
    )


def _topic(row: queries.TopicRow) -> TopicPublic:
    t = row.topic
    return TopicPublic(
        id=t.id,
        board_id=t.board_id,
        title=t.title,
        author=_author(row.author),  # type: ignore[arg-type]
        tags=[c.slug for c in row.tags],
        created_at=t.created_at,
        last_posted_at=t.last_posted_at,
        reply_count=t.reply_count,
        floor_count=t.floor_count,
        is_pinned=t.is_pinned,
        is_featured=t.is_featured,
        is_locked=t.is_locked,
    )


def _detail(request: Request, session: SessionDep, topic: Topic, user: User | None) -> TopicDetail:
    view = queries.topic_page(session, topic=topic, viewer=user, page=1, per_page=1, subs_shown=0)
    row = queries.TopicRow(topic, view.author, None, view.tags)
    return TopicDetail(**_topic(row).model_dump(), first_post=_post(request, view.floors[0]))


# --- accounts ----------------------------------------------------------------------------------


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
def create_user(data: UserCreate, session: SessionDep) -> UserPublic:
    user = accounts.register(session, username=data.username, password=data.password)
    return UserPublic(
        id=user.id,
        username=user.username,
        role=user.role,  # type: ignore[arg-type]
        is_verified=user.is_verified,
        created_at=user.created_at,
    )


@router.post("/tokens", response_model=TokenResponse)
def create_token(data: TokenRequest, session: SessionDep, request: Request) -> TokenResponse:
    user = accounts.authenticate(session, username=data.username, password=data.password)
    token, row = accounts.start_session(
        session, user=user, kind="api", days=request.app.state.settings.api_token_days
    )
    return TokenResponse(access_token=token, expires_at=row.expires_at)


@router.delete("/tokens/current", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(request: Request, session: SessionDep, user: ApiUser) -> Response:
    if user is None:
        raise NotAuthenticated()
    accounts.end_session(session, token=request.headers["authorization"].partition(" ")[2].strip())
    return Response(status_code=204)


@router.get("/users/me", response_model=UserPublic)
def me(user: ApiUser) -> UserPublic:
    if user is None:
        raise NotAuthenticated()
    return UserPublic(
        id=user.id,
        username=user.username,
        role=user.role,  # type: ignore[arg-type]
        is_verified=user.is_verified,
        created_at=user.created_at,
    )


@router.put("/users/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(data: PasswordChange, request: Request, session: SessionDep, user: ApiUser) -> Response:
    """A new password; every other API token and browser session of the user ends (this token stays)."""
    accounts.change_password(
        session,
        user=user,
        current=data.current_password,
        new=data.new_password,
        keep=request.headers.get("authorization", "").partition(" ")[2].strip(),
    )
    return Response(status_code=204)


# --- boards and topics -------------------------------------------------------------------------


@router.get("/boards", response_model=list[BoardPublic])
def list_boards(session: SessionDep) -> list[BoardPublic]:
    return [BoardPublic.model_validate(b, from_attributes=True) for b in service.list_boards(session)]


@router.get("/boards/{board_id}/topics", response_model=TopicPage)
def list_topics(
    board: BoardDep,
    session: SessionDep,
    user: ApiUser,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> TopicPage:
    listing = queries.board_listing(session, board=board, viewer=user, cursor=cursor, limit=limit)
    return TopicPage(
        items=[_topic(r) for r in listing.pinned + listing.topics], next_cursor=listing.next_cursor
    )


@router.post("/boards/{board_id}/topics", status_code=status.HTTP_201_CREATED, response_model=TopicDetail)
def create_topic(
    board: BoardDep, data: TopicCreate, session: SessionDep, user: ApiUser, request: Request
) -> TopicDetail:
    topic = service.create_topic(
        session, actor=user, board=board, title=data.title, body=data.body, tags=data.tags
    )
    return _detail(request, session, topic, user)


@router.get("/topics/{topic_id}", response_model=TopicDetail)
def get_topic(topic: TopicDep, session: SessionDep, user: ApiUser, request: Request) -> TopicDetail:
    return _detail(request, session, topic, user)


@router.patch("/topics/{topic_id}", response_model=TopicDetail)
def update_topic(
    topic: TopicDep, data: TopicUpdate, session: SessionDep, user: ApiUser, request: Request
) -> TopicDetail:
    service.edit_post(
        session,
        actor=user,
        post=service.first_post(session, topic),
        body=data.body,
        title=data.title,
        tags=data.tags,
    )
    return _detail(request, session, topic, user)


@router.delete("/topics/{topic_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_topic(topic: TopicDep, session: SessionDep, user: ApiUser) -> Response:
    service.delete_topic(session, actor=user, topic=topic)
    return Response(status_code=204)


@router.get("/topics/{topic_id}/replies", response_model=PostPage)
def list_replies(
    topic: TopicDep,
    session: SessionDep,
    user: ApiUser,
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PostPage:
    """Every post of the topic (floors and 楼中楼) in posting order; `next_cursor` is the `after`
    of the next page."""
    views, next_after = queries.posts_of_topic(session, topic=topic, viewer=user, after=after, limit=limit)
    floors = queries.parent_floors(session, [v.post for v in views])
    return PostPage(
        items=[_post(request, v, floors.get(v.post.parent_id or 0)) for v in views],
        next_cursor=str(next_after) if next_after else None,
    )


@router.post("/topics/{topic_id}/replies", status_code=status.HTTP_201_CREATED, response_model=PostPublic)
def create_reply(
    topic: TopicDep, data: ReplyCreate, session: SessionDep, user: ApiUser, request: Request
) -> PostPublic:
    post = service.reply(
        session,
        actor=user,
        topic=topic,
        body=data.body,
        parent_floor=data.parent_floor,
        quote_floor=data.quote_floor,
        reply_to=data.reply_to,
    )
    view = queries.post_view(session, post=post, viewer=user)
    return _post(request, view, data.parent_floor)


@router.patch("/posts/{post_id}", response_model=PostPublic)
def update_post(
    post: PostDep, data: ReplyUpdate, session: SessionDep, user: ApiUser, request: Request
) -> PostPublic:
    service.edit_post(session, actor=user, post=post, body=data.body)
    return _post(request, queries.post_view(session, post=post, viewer=user))


@router.delete("/posts/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_post(post: PostDep, session: SessionDep, user: ApiUser) -> Response:
    service.delete_post(session, actor=user, post=post)
    return Response(status_code=204)


@router.put("/posts/{post_id}/like")
def like_post(post: PostDep, session: SessionDep, user: ApiUser) -> dict[str, int | bool]:
    return {"liked": True, "like_count": service.like(session, actor=user, post=post, on=True)}


@router.delete("/posts/{post_id}/like")
def unlike_post(post: PostDep, session: SessionDep, user: ApiUser) -> dict[str, int | bool]:
    return {"liked": False, "like_count": service.like(session, actor=user, post=post, on=False)}


@router.put("/topics/{topic_id}/follow")
def follow_topic(topic: TopicDep, session: SessionDep, user: ApiUser) -> dict[str, bool]:
    return {"following": service.follow(session, actor=user, topic=topic, on=True)}


@router.delete("/topics/{topic_id}/follow")
def unfollow_topic(topic: TopicDep, session: SessionDep, user: ApiUser) -> dict[str, bool]:
    return {"following": service.follow(session, actor=user, topic=topic, on=False)}


@router.get("/notifications")
def list_notifications(
    session: SessionDep, user: ApiUser, before: Annotated[int | None, Query(ge=1, le=2**62)] = None
) -> dict[str, object]:
    if user is None:
        raise NotAuthenticated()
    items = notifications.inbox(session, user=user, before=before)
    return {"unread": notifications.unread_count(session, user=user), "items": [vars(i) for i in items]}
