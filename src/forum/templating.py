"""The Jinja2 environment and the page context every UI route renders with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from sqlmodel import Session
from starlette.datastructures import URL

from forum import labels, policy
from forum.accounts.models import User
from forum.errors import DomainError, RateLimited
from forum.notifications import service as notifications
from forum.pagecache import CACHEABLE_HEADER
from forum.routes.deps import CurrentUser, SessionDep
from forum.timeutil import humanize, local

TEMPLATE_DIR = Path(__file__).parent / "templates"
T = TypeVar("T")


def make_templates(*, reload: bool = False) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    # Re-reading templates on change stats the file at every include (100+ per topic page): for
    # development only (FORUM_DEBUG).
    env.auto_reload = reload
    env.filters["ago"] = humanize
    env.filters["localtime"] = lambda value, fmt="%Y-%m-%d %H:%M": local(value).strftime(fmt)
    env.globals["url_for"] = _cached_url_for()
    env.globals["labels"] = labels
    env.globals["Action"] = policy.Action
    env.globals["can"] = policy.can
    env.globals["can_edit_post"] = policy.can_edit_post
    return templates


def _cached_url_for() -> Callable[..., URL]:
    """Starlette's url_for for templates, without its cost: a topic page builds ~100 links and
    each lookup walks the router (~0.1 ms). The path template of each (route, parameter names) is
    found once through the router, then filled in."""
    formats: dict[tuple[str, tuple[str, ...]], str] = {}

    def path_format(request: Request, name: str, params: dict[str, Any]) -> str:
        key = (name, tuple(sorted(params)))
        if key not in formats:
            # Stand-ins each convertor accepts (ints for int parameters), then swapped for {name}.
            stand_ins = {
                k: 987_654_321_000 + i if isinstance(v, int) else f"PARAM{i}X"
                for i, (k, v) in enumerate(sorted(params.items()))
            }
            path = str(request.app.url_path_for(name, **stand_ins)).replace("{", "{{").replace("}", "}}")
            for k, v in stand_ins.items():
                path = path.replace(str(v), "{" + k + "}")
            formats[key] = path
        return formats[key]

    @pass_context
    def url_for(context: Any, name: str, /, **params: Any) -> URL:
        request: Request = context["request"]
        return URL(str(request.base_url).rstrip("/") + path_format(request, name, params).format(**params))

    return url_for


class Page:
    """What a UI route needs to answer with HTML: the request, the session and the user."""

    def __init__(self, request: Request, session: Session, user: User | None) -> None:
        self.request = request
        self.session = session
        self.user = user

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def render(
        self, name: str, status_code: int = 200, *, cacheable: bool = False, **context: Any
    ) -> HTMLResponse:
        """cacheable: the page is the same for every anonymous visitor (home, board, topic). Rendered
        for one (not over htmx), it then leaves out the CSRF token, since the HTML is shared, and is
        marked for the anonymous page cache (forum.pagecache)."""
        request = self.request
        shared = cacheable and self.user is None and not self.is_htmx
        unread = notifications.unread_count(self.session, user=self.user) if self.user else 0
        context.update(
            user=self.user,
            csrf_token="" if shared else request.state.csrf_token,
            unread=unread,
            settings=request.app.state.settings,
            is_htmx=self.is_htmx,
        )
        response: HTMLResponse = request.app.state.templates.TemplateResponse(
            request, name, context, status_code=status_code
        )
        if shared:
            response.headers[CACHEABLE_HEADER] = "1"
        return response

    def attempt(
        self, change: Callable[[], T], show_form: Callable[[DomainError, int], Response]
    ) -> T | Response:
        """Run a change in a savepoint. If it breaks a rule, nothing of it is kept and the form comes
        back (with what was typed and the reason): 400 for invalid input, or the error's own status
        (409, 413). Not logged in, not permitted and not found go to the usual error page."""
        try:
            with self.session.begin_nested():
                return change()
        except DomainError as error:
            if error.status_code in (401, 403, 404):
                raise
            response = show_form(error, 400 if error.status_code == 422 else error.status_code)
            if isinstance(error, RateLimited):
                response.headers["Retry-After"] = str(error.retry_after)
            return response


def get_page(request: Request, session: SessionDep, user: CurrentUser) -> Page:
    return Page(request, session, user)


PageDep = Annotated[Page, Depends(get_page)]
