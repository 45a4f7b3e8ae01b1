"""Staff and admin pages: boards and categories, household review, roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response

from forum.accounts import service as accounts
from forum.boards import service as boards
from forum.errors import DomainError
from forum.policy import Action, require
from forum.routes.deps import BoardDep, verify_csrf
from forum.templating import Page, PageDep

router = APIRouter(prefix="/admin", dependencies=[Depends(verify_csrf)], include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**62)]
Direction = Annotated[int, Form(ge=-1, le=1)]


def _back(page: Page, name: str = "admin:index") -> Response:
    return RedirectResponse(str(page.request.url_for(name)), status_code=303)


def _index(page: Page, status_code: int = 200, error: DomainError | None = None) -> Response:
    require(page.user, Action.MANAGE_BOARDS)
    return page.render(
        "admin/index.html",
        status_code=status_code,
        error=error,
        boards=boards.list_boards(page.session),
        categories=boards.list_categories(page.session),
        users=accounts.list_users(page.session, actor=page.user),
        roles=accounts.roles(page.session),
    )


@router.get("", name="admin:index")
def index(page: PageDep) -> Response:
    return _index(page)


def _attempt(page: Page, change: Callable[[], object]) -> Response:
    """Run an admin change; on a rule broken, show the admin page again with the reason."""
    done = page.attempt(change, lambda error, status: _index(page, status_code=status, error=error))
    return done if isinstance(done, Response) else _back(page)


@router.post("/boards", name="admin:create_board")
def create_board(
    page: PageDep,
    slug: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=64)] = "",
    description: Annotated[str, Form(max_length=400)] = "",
    staff_only_topics: Annotated[bool, Form()] = False,
) -> Response:
    return _attempt(
        page,
        lambda: boards.create_board(
            page.session,
            actor=page.user,
            slug=slug,
            name=name,
            description=description,
            staff_only_topics=staff_only_topics,
        ),
    )


@router.post("/boards/{board_id}", name="admin:update_board")
def update_board(
    page: PageDep,
    board: BoardDep,
    name: Annotated[str, Form(max_length=64)] = "",
    description: Annotated[str, Form(max_length=400)] = "",
    staff_only_topics: Annotated[bool, Form()] = False,
) -> Response:
    return _attempt(
        page,
        lambda: boards.update_board(
            page.session,
            actor=page.user,
            board=board,
            name=name,
            description=description,
            staff_only_topics=staff_only_topics,
        ),
    )


@router.post("/boards/{board_id}/move", name="admin:move_board")
def move_board(page: PageDep, board: BoardDep, direction: Direction) -> Response:
    boards.move_board(page.session, actor=page.user, board=board, direction=direction)
    return _back(page)


@router.post("/categories", name="admin:create_category")
def create_category(
    page: PageDep,
    slug: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _attempt(page, lambda: boards.create_category(page.session, actor=page.user, slug=slug, name=name))


@router.post("/categories/{category_id}", name="admin:rename_category")
def rename_category(
    page: PageDep, category_id: Id, name: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    category = boards.get_category(page.session, category_id)
    return _attempt(
        page, lambda: boards.rename_category(page.session, actor=page.user, category=category, name=name)
    )


@router.post("/categories/{category_id}/move", name="admin:move_category")
def move_category(page: PageDep, category_id: Id, direction: Direction) -> Response:
    category = boards.get_category(page.session, category_id)
    boards.move_category(page.session, actor=page.user, category=category, direction=direction)
    return _back(page)


@router.post("/users/{user_id}/role", name="admin:set_role")
def set_role(page: PageDep, user_id: Id, role: Annotated[str, Form(max_length=32)]) -> Response:
    return _attempt(
        page, lambda: accounts.set_role(page.session, actor=page.user, user_id=user_id, role=role)
    )


@router.get("/households", name="admin:households")
def households(page: PageDep) -> Response:
    items = accounts.pending_households(page.session, actor=page.user)
    return page.render("admin/households.html", items=items)


@router.post("/households/{household_id}", name="admin:review_household")
def review_household(
    page: PageDep,
    household_id: Id,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    note: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    accounts.review_household(
        page.session, actor=page.user, household_id=household_id, approve=decision == "approve", note=note
    )
    return _back(page, "admin:households")
