"""Register, log in and out, profiles, household verification requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from forum.accounts import service
from forum.boards import queries
from forum.cases import queries as case_queries
from forum.errors import DomainError, RateLimited
from forum.policy import Action, can
from forum.routes.deps import SESSION_COOKIE, verify_csrf
from forum.templating import PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

Name = Annotated[str, Form(max_length=64)]
Password = Annotated[str, Form(max_length=256)]
Next = Annotated[str, Form(max_length=500)]


def safe_next(target: str | None) -> str:
    """Only same-site paths: never //host or a scheme, so login cannot redirect off-site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _log_in(request: Request, response: Response, page: PageDep, user_id: int) -> Response:
    settings = request.app.state.settings
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(page.session, token=old)
    user = service.get_user(page.session, user_id)
    token, _row = service.start_session(page.session, user=user, kind="web", days=settings.session_days)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.https_only_cookies,
        path="/",
    )
    return response


@router.get("/register", name="accounts:register_form")
def register_form(page: PageDep, next: Annotated[str, Query(max_length=500)] = "/") -> Response:
    return page.render("accounts/register.html", error=None, draft={"username": ""}, next=safe_next(next))


@router.post("/register", name="accounts:register")
def register(
    page: PageDep, username: Name = "", password: Password = "", password2: Password = "", next: Next = "/"
) -> Response:
    user = page.attempt(
        lambda: service.register(page.session, username=username, password=password, confirm=password2),
        lambda error, status: page.render(
            "accounts/register.html",
            status_code=status,
            error=error,
            draft={"username": username},
            next=safe_next(next),
        ),
    )
    if isinstance(user, Response):
        return user
    return _log_in(page.request, RedirectResponse(safe_next(next), status_code=303), page, user.id)  # type: ignore[arg-type]


@router.get("/login", name="accounts:login_form")
def login_form(page: PageDep, next: Annotated[str, Query(max_length=500)] = "/") -> Response:
    return page.render("accounts/login.html", error=None, draft={"username": ""}, next=safe_next(next))


@router.post("/login", name="accounts:login")
def login(page: PageDep, username: Name = "", password: Password = "", next: Next = "/") -> Response:
    try:
        user = service.authenticate(page.session, username=username, password=password)
    except DomainError as error:
        limited = isinstance(error, RateLimited)
        response = page.render(
            "accounts/login.html",
            status_code=429 if limited else 400,
            error=error,
            draft={"username": username},
            next=safe_next(next),
        )
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    return _log_in(page.request, RedirectResponse(safe_next(next), status_code=303), page, user.id)  # type: ignore[arg-type]


@router.post("/logout", name="accounts:logout")
def logout(page: PageDep) -> Response:
    token = page.request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(page.session, token=token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/u/{username}", name="accounts:profile")
def profile(page: PageDep, username: Annotated[str, Path(max_length=40)]) -> Response:
    person = service.get_user_by_name(page.session, username)
    topics = queries.topics_by_author(page.session, author=person, limit=20)
    private = can(page.user, Action.SEE_PRIVATE) or (page.user is not None and page.user.id == person.id)
    household = service.household_of(page.session, person) if private else None
    cases = case_queries.reported_by(page.session, user=person, private_too=private, limit=20)
    return page.render(
        "accounts/profile.html",
        person=person,
        topics=topics,
        cases=cases,
        private=private,
        household=household,
    )


@router.get("/me/household", name="accounts:household_form")
def household_form(page: PageDep) -> Response:
    if page.user is None:
        return RedirectResponse("/login?next=/me/household", status_code=303)
    household = service.household_of(page.session, page.user)
    draft = (
        {"building": household.building, "unit": household.unit, "room": household.room} if household else {}
    )
    draft |= {"real_name": page.user.real_name or "", "phone": page.user.phone or ""}
    return page.render("accounts/household.html", household=household, draft=draft, error=None)


@router.post("/me/household", name="accounts:household")
def household(
    page: PageDep,
    building: Annotated[str, Form(max_length=40)] = "",
    unit: Annotated[str, Form(max_length=40)] = "",
    room: Annotated[str, Form(max_length=40)] = "",
    real_name: Annotated[str, Form(max_length=80)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    done = page.attempt(
        lambda: service.request_household(
            page.session,
            actor=page.user,
            building=building,
            unit=unit,
            room=room,
            real_name=real_name,
            phone=phone,
        ),
        lambda error, status: page.render(
            "accounts/household.html",
            status_code=status,
            error=error,
            household=service.household_of(page.session, page.user) if page.user else None,
            draft={"building": building, "unit": unit, "room": room, "real_name": real_name, "phone": phone},
        ),
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(str(page.request.url_for("accounts:household_form")), status_code=303)


@router.get("/me/password", name="accounts:password_form")
def password_form(page: PageDep) -> Response:
    if page.user is None:
        return RedirectResponse("/login?next=/me/password", status_code=303)
    return page.render("accounts/password.html", error=None, done=False)


@router.post("/me/password", name="accounts:password")
def change_password(
    page: PageDep, current: Password = "", password: Password = "", password2: Password = ""
) -> Response:
    """A new password; every other browser session and API token of the user ends."""
    done = page.attempt(
        lambda: service.change_password(
            page.session,
            user=page.user,
            current=current,
            new=password,
            confirm=password2,
            keep=page.request.cookies.get(SESSION_COOKIE, ""),
        ),
        lambda error, status: page.render(
            "accounts/password.html", status_code=status, error=error, done=False
        ),
    )
    if isinstance(done, Response):
        return done
    return page.render("accounts/password.html", error=None, done=True)
