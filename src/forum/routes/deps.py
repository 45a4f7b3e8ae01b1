"""Request-scoped dependencies: the database session, the current user, CSRF, entity loaders."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import BeforeValidator, Field
from sqlmodel import Session

from forum import db
from forum.accounts import service as accounts
from forum.accounts.models import User
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic
from forum.config import Settings
from forum.errors import DomainError
from forum.security import tokens_equal

SESSION_COOKIE = "forum_session"
CSRF_COOKIE = "forum_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(DomainError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__("页面已过期或请求来源无效，请刷新页面后重试")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def write_gate(request: Request) -> AsyncIterator[None]:
    """Admit a bounded number of writing requests per process before they take a thread.

    A writer that waits for a database lock (SQLite's write lock, a PostgreSQL row lock) blocks
    its worker thread. Without a bound, enough waiters fill the thread pool and the lock holder
    cannot get a thread back to commit: everyone waits until the lock times out. Waiting here,
    in the event loop, costs no thread. SQLite has one writer at a time anyway, so one a process.
    """
    if request.method in SAFE_METHODS:
        yield
        return
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(request.app.state.write_concurrency)
    async with gate:
        yield


def get_db(
    request: Request, _gate: Annotated[None, Depends(write_gate, scope="function")]
) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on error."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        db.begin(session, write=request.method not in SAFE_METHODS)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            _reload_user(request, session)
            raise


def _reload_user(request: Request, session: Session) -> None:
    """The rollback expired the current user; load it again so the error page can still show who
    is logged in after the session closes."""
    user = request.state._state.get("user")
    if user is not None:
        try:
            session.refresh(user)
        except Exception:
            request.state.user = None


SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_user(request: Request, session: SessionDep) -> User | None:
    """The user of the browser session cookie, if any."""
    if "user" not in request.state._state:
        token = request.cookies.get(SESSION_COOKIE, "")
        request.state.user = accounts.user_for_token(session, token=token, kind="web") if token else None
    return request.state.user  # type: ignore[no-any-return]


def api_user(request: Request, session: SessionDep) -> User | None:
    """The user of an `Authorization: Bearer` API token, if any. The API takes no cookies, so it
    needs no CSRF token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return accounts.user_for_token(session, token=token.strip(), kind="api")


# A form's empty <input type="date"> sends "", which means "no date", not a bad one.
OptionalDate = Annotated[date | None, BeforeValidator(lambda value: value or None), Query()]
# Likewise an empty <select> option ("全部") sends "", meaning "any".
OptionalId = Annotated[
    Annotated[int, Field(ge=1, le=2**62)] | None, BeforeValidator(lambda value: value or None), Query()
]

CurrentUser = Annotated[User | None, Depends(current_user)]
ApiUser = Annotated[User | None, Depends(api_user)]


async def verify_csrf(request: Request) -> None:
    """Every state-changing browser request carries the token from the CSRF cookie, as a form
    field or an X-CSRF-Token header (htmx). The cookie is set by CsrfCookieMiddleware."""
    if request.method in SAFE_METHODS:
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else ""
    if not expected or not sent or not tokens_equal(expected, sent):
        raise CsrfFailed()


def viewer(request: Request, session: SessionDep) -> User | None:
    """Whoever is asking: the API token's user under /api, the cookie session's elsewhere."""
    if request.url.path.startswith("/api/"):
        return api_user(request, session)
    return current_user(request, session)


Viewer = Annotated[User | None, Depends(viewer)]


def get_topic_or_404(
    topic_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep, user: Viewer
) -> Topic:
    return boards.get_topic(session, topic_id, viewer=user)


def get_post_or_404(post_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep, user: Viewer) -> Post:
    """A post whose topic the viewer may see."""
    post = boards.get_post(session, post_id)
    boards.get_topic(session, post.topic_id, viewer=user)
    return post


def get_board_or_404(board_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep) -> Board:
    return boards.get_board(session, board_id)


TopicDep = Annotated[Topic, Depends(get_topic_or_404)]
PostDep = Annotated[Post, Depends(get_post_or_404)]
BoardDep = Annotated[Board, Depends(get_board_or_404)]
