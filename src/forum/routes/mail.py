"""E-mail notifications: the settings page (address, verification, what to receive), and the pages
a mail links to — verifying an address and unsubscribing, both without logging in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response

from forum.errors import DomainError, NotAuthenticated
from forum.mail import service
from forum.mail.context import context_of
from forum.mail.models import Feed, MailAddress
from forum.routes.deps import verify_csrf
from forum.templating import Page, PageDep

# No router-wide CSRF check: the one-click unsubscribe (RFC 8058) is posted by the mail provider,
# which has no cookie. The signed token in its URL is the proof instead. Forms of the settings
# page check CSRF route by route.
router = APIRouter(include_in_schema=False)
csrf = [Depends(verify_csrf)]
Token = Annotated[str, Query(max_length=500)]
# The notices shown after a redirect back to the settings page.
DONE = frozenset({"address", "resent", "removed", "choices"})


def _settings_page(page: Page, status_code: int = 200, **context: object) -> Response:
    assert page.user is not None
    mail = context_of(page.session)
    context.setdefault("error", None)
    context.setdefault("done", None)
    address = service.get_address(page.session, user=page.user)
    context.setdefault("draft", {"email": address.email if address else ""})
    return page.render(
        "mail/settings.html",
        status_code=status_code,
        address=address,
        enabled=mail is not None and mail.enabled,
        digest_hour=page.request.app.state.settings.mail_digest_hour,
        recent=service.recent_mail(page.session, user=page.user),
        feeds=list(Feed),
        **context,
    )


def _back(page: Page, done: str) -> Response:
    url = page.request.url_for("mail:settings").include_query_params(done=done)
    return RedirectResponse(str(url), status_code=303)


@router.get("/me/email", name="mail:settings")
def settings_page(page: PageDep, done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    if page.user is None:
        return RedirectResponse("/login?next=/me/email", status_code=303)
    return _settings_page(page, done=done if done in DONE else None)


@router.post("/me/email", name="mail:set_address", dependencies=csrf)
def set_address(page: PageDep, email: Annotated[str, Form(max_length=320)] = "") -> Response:
    done = page.attempt(
        lambda: service.set_address(page.session, actor=page.user, email=email),
        lambda error, status: _settings_page(page, status, error=error, draft={"email": email}),
    )
    return done if isinstance(done, Response) else _back(page, "address")


@router.post("/me/email/resend", name="mail:resend", dependencies=csrf)
def resend(page: PageDep) -> Response:
    done = page.attempt(
        lambda: service.resend_verification(page.session, actor=page.user),
        lambda error, status: _settings_page(page, status, error=error),
    )
    return done if isinstance(done, Response) else _back(page, "resent")


@router.post("/me/email/remove", name="mail:remove", dependencies=csrf)
def remove(page: PageDep) -> Response:
    done = page.attempt(
        lambda: service.remove_address(page.session, actor=page.user),
        lambda error, status: _settings_page(page, status, error=error),
    )
    return done if isinstance(done, Response) else _back(page, "removed")


@router.post("/me/email/choices", name="mail:choices", dependencies=csrf)
def choices(
    page: PageDep,
    feeds: Annotated[list[str], Form(max_length=len(Feed))] = [],  # noqa: B006
    digest: Annotated[int, Form(ge=0, le=1)] = 0,
) -> Response:
    if page.user is None:
        raise NotAuthenticated()

    def show_form(error: DomainError, status: int) -> Response:
        address = service.get_address(page.session, user=page.user)  # type: ignore[arg-type]
        if page.is_htmx and address is not None:
            return _choices_fragment(page, address, status_code=status, error=error)
        return _settings_page(page, status, error=error)

    done = page.attempt(
        lambda: service.update_choices(page.session, actor=page.user, feeds=feeds, digest=bool(digest)),
        show_form,
    )
    if isinstance(done, Response):
        return done
    if page.is_htmx:
        return _choices_fragment(page, done, saved=True)
    return _back(page, "choices")


def _choices_fragment(
    page: Page, address: MailAddress, status_code: int = 200, **context: object
) -> Response:
    context.setdefault("error", None)
    context.setdefault("saved", False)
    return page.render(
        "mail/_choices.html",
        status_code=status_code,
        address=address,
        feeds=list(Feed),
        digest_hour=page.request.app.state.settings.mail_digest_hour,
        **context,
    )


# --- reached from a mail --------------------------------------------------------------------------


def _link_error(page: Page, error: DomainError) -> Response:
    return page.render("mail/link_error.html", status_code=error.status_code, error=error)


@router.get("/mail/verify", name="mail:verify_form")
def verify_form(page: PageDep, token: Token = "") -> Response:
    """A button, not an action: a link scanner fetching the mail's links must not verify an
    address its owner never asked for."""
    try:
        preview = service.verification(page.session, token=token)
    except DomainError as error:
        return _link_error(page, error)
    return page.render("mail/verify.html", token=token, preview=preview, verified=False)


@router.post("/mail/verify", name="mail:verify", dependencies=csrf)
def verify(page: PageDep, token: Token = "") -> Response:
    try:
        address = service.verify(page.session, token=token)
    except DomainError as error:
        return _link_error(page, error)
    return page.render("mail/verify.html", token=token, preview=address, verified=True)


@router.get("/mail/unsubscribe", name="mail:unsubscribe_form")
def unsubscribe_form(page: PageDep, token: Token = "") -> Response:
    try:
        preview = service.unsubscription(page.session, token=token)
    except DomainError as error:
        return _link_error(page, error)
    return page.render("mail/unsubscribe.html", token=token, item=preview, done=False)


@router.post("/mail/unsubscribe", name="mail:unsubscribe")
def unsubscribe(page: PageDep, token: Token = "") -> Response:
    try:
        item = service.unsubscribe(page.session, token=token)
    except DomainError as error:
        return _link_error(page, error)
    return page.render("mail/unsubscribe.html", token=token, item=item, done=True)
