"""Moderation pages: the 举报 form for members; for staff the queue, muted and banned users, a
user's sanctions; for admins the audit log."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response

from forum.accounts import service as accounts
from forum.boards import service as boards
from forum.boards.models import Post
from forum.errors import DomainError
from forum.labels import MODERATION_ACTION, REPORT_REASON
from forum.moderation import queries, service
from forum.moderation.models import MUTE_DAYS, REASON_MAX, REPORT_TEXT_MAX, ReportReason
from forum.policy import Action, is_muted, require
from forum.routes.deps import OptionalId, PostDep, verify_csrf
from forum.templating import Page, PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**62)]
Reason = Annotated[str, Form(max_length=REASON_MAX * 2)]
Days = Annotated[int | None, Form(ge=1, le=30)]
PageNo = Annotated[int, Query(alias="page", ge=1, le=1000)]
QUEUE_PER_PAGE = 20


def _to(page: Page, name: str, fragment: str = "", query: str = "", **params: object) -> Response:
    url = str(page.request.url_for(name, **params)) + (f"?{query}" if query else "")
    url += f"#{fragment}" if fragment else ""
    if page.is_htmx:
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


# --- 举报 ------------------------------------------------------------------------------------------


def _report_form(page: Page, post: Post, status_code: int = 200, **extra: object) -> Response:
    topic = boards.get_topic(page.session, post.topic_id, viewer=page.user)
    return page.render(
        "moderation/report.html",
        status_code=status_code,
        post=post,
        topic=topic,
        author=accounts.get_user(page.session, post.author_id),
        reasons=[(r.value, REPORT_REASON[r.value]) for r in ReportReason],
        text_max=REPORT_TEXT_MAX,
        **({"error": None, "draft": {}, "done": False} | extra),
    )


@router.get("/p/{post_id}/report", name="moderation:report_form")
def report_form(page: PageDep, post: PostDep, done: Annotated[int, Query(ge=0, le=1)] = 0) -> Response:
    if page.user is None:
        return _to(page, "accounts:login_form", query=f"next=/p/{post.id}/report")
    return _report_form(page, post, done=bool(done))


@router.post("/p/{post_id}/report", name="moderation:report")
def report(
    page: PageDep,
    post: PostDep,
    reason: Annotated[str, Form(max_length=16)] = "",
    text: Annotated[str, Form(max_length=REPORT_TEXT_MAX * 2)] = "",
) -> Response:
    threshold = page.request.app.state.settings.report_hide_threshold
    done = page.attempt(
        lambda: service.report_post(
            page.session, actor=page.user, post=post, reason=reason, text=text, hide_threshold=threshold
        ),
        lambda error, status: _report_form(
            page, post, status_code=status, error=error, draft={"reason": reason, "text": text}
        ),
    )
    if isinstance(done, Response):
        return done
    return _to(page, "moderation:report_form", query="done=1", post_id=post.id)


# --- the queue -------------------------------------------------------------------------------------


def _queue(page: Page, number: int, status_code: int = 200, error: DomainError | None = None) -> Response:
    listing = queries.queue(page.session, actor=page.user, page=number, per_page=QUEUE_PER_PAGE)
    return page.render(
        "moderation/queue.html",
        status_code=status_code,
        listing=listing,
        error=error,
        mute_days=MUTE_DAYS,
        reason_max=REASON_MAX,
    )


@router.get("/mod", name="moderation:queue")
def queue(page: PageDep, number: PageNo = 1) -> Response:
    return _queue(page, number)


@router.post("/mod/posts/{post_id}", name="moderation:decide")
def decide(
    page: PageDep,
    post: PostDep,
    action: Annotated[str, Form(max_length=16)] = "",
    reason: Reason = "",
    days: Days = None,
    number: Annotated[int, Form(alias="page", ge=1, le=1000)] = 1,
) -> Response:
    done = page.attempt(
        lambda: service.decide(
            page.session, actor=page.user, post=post, action=action, reason=reason, days=days
        ),
        lambda error, status: _queue(page, number, status_code=status, error=error),
    )
    if isinstance(done, Response):
        return done
    return _to(page, "moderation:queue", query=f"page={number}" if number > 1 else "")


# --- users: mutes and bans -------------------------------------------------------------------------


@router.get("/mod/users", name="moderation:users")
def users(page: PageDep, username: Annotated[str, Query(max_length=40)] = "") -> Response:
    require(page.user, Action.SANCTION)
    if username.strip():
        person = accounts.get_user_by_name(page.session, username)
        return _to(page, "moderation:user", user_id=person.id)
    return page.render(
        "moderation/users.html", people=queries.sanctioned_users(page.session, actor=page.user)
    )


def _user_page(
    page: Page, user_id: int, status_code: int = 200, error: DomainError | None = None
) -> Response:
    require(page.user, Action.SANCTION)
    person = accounts.get_user(page.session, user_id)
    history, _ = queries.audit_log(
        page.session, actor=page.user, target_user_id=person.id, limit=30, required=Action.SANCTION
    )
    return page.render(
        "moderation/user.html",
        status_code=status_code,
        person=person,
        muted=is_muted(person),
        history=history,
        error=error,
        mute_days=MUTE_DAYS,
        reason_max=REASON_MAX,
    )


@router.get("/mod/users/{user_id}", name="moderation:user")
def user_page(page: PageDep, user_id: Id) -> Response:
    return _user_page(page, user_id)


@router.post("/mod/users/{user_id}", name="moderation:sanction")
def sanction(
    page: PageDep,
    user_id: Id,
    action: Annotated[str, Form(pattern="^(warn|mute|unmute|ban|unban)$")],
    reason: Reason = "",
    days: Days = None,
) -> Response:
    done = page.attempt(
        lambda: service.sanction(
            page.session, actor=page.user, target_id=user_id, action=action, reason=reason, days=days
        ),
        lambda error, status: _user_page(page, user_id, status_code=status, error=error),
    )
    if isinstance(done, Response):
        return done
    return _to(page, "moderation:user", user_id=user_id)


# --- the audit log ---------------------------------------------------------------------------------


@router.get("/mod/audit", name="moderation:audit")
def audit(
    page: PageDep,
    moderator: OptionalId = None,
    action: Annotated[str | None, Query(max_length=24)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    entries, next_before = queries.audit_log(
        page.session, actor=page.user, moderator_id=moderator, action=action or None, before=before
    )
    filters = urlencode({k: v for k, v in (("moderator", moderator), ("action", action)) if v})
    return page.render(
        "moderation/audit.html",
        entries=entries,
        next_before=next_before,
        moderators=queries.moderators(page.session),
        actions=MODERATION_ACTION,
        selected={"moderator": moderator, "action": action or ""},
        filters=filters,
    )
