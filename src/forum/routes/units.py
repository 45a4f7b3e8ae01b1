"""Admin: units (归口), their contacts, and each category's default unit and deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response

from forum.accounts import service as accounts
from forum.boards import service as boards
from forum.cases import units as case_units
from forum.errors import DomainError
from forum.policy import Action, require
from forum.routes.deps import verify_csrf
from forum.templating import Page, PageDep

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Short = Annotated[str, Form(max_length=200)]


@router.get("/admin/units", name="cases:units")
def units_page(page: PageDep) -> Response:
    return _units(page)


def _units(page: Page, status_code: int = 200, error: DomainError | None = None) -> Response:
    require(page.user, Action.MANAGE_UNITS)
    all_units = case_units.list_units(page.session)
    return page.render(
        "cases/units.html",
        status_code=status_code,
        error=error,
        units=all_units,
        members={u.id: case_units.unit_members(page.session, u.id) for u in all_units},  # type: ignore[arg-type]
        categories=boards.list_categories(page.session),
        lonely=case_units.units_without_contact(page.session),
        routes={c.id: case_units.route_of(page.session, c.id) for c in boards.list_categories(page.session)},
    )


def _admin(page: Page, change) -> Response:  # type: ignore[no-untyped-def]
    done = page.attempt(change, lambda error, status: _units(page, status_code=status, error=error))
    return (
        done
        if isinstance(done, Response)
        else RedirectResponse(str(page.request.url_for("cases:units")), status_code=303)
    )


@router.post("/admin/units", name="cases:create_unit")
def create_unit(page: PageDep, name: Short = "", kind: Short = "", phone: Short = "") -> Response:
    return _admin(
        page, lambda: case_units.create_unit(page.session, actor=page.user, name=name, kind=kind, phone=phone)
    )


@router.post("/admin/units/{unit_id}/members", name="cases:unit_member")
def unit_member(
    page: PageDep, unit_id: Id, username: Short = "", on: Annotated[int, Form(ge=0, le=1)] = 1
) -> Response:
    def change() -> None:
        unit = case_units.get_unit(page.session, unit_id)
        user = accounts.get_user_by_name(page.session, username)
        case_units.set_unit_member(page.session, actor=page.user, unit=unit, user=user, on=bool(on))

    return _admin(page, change)


@router.post("/admin/routes/{category_id}", name="cases:set_route")
def set_route(
    page: PageDep, category_id: Id, unit: Short = "", deadline_days: Annotated[int, Form(ge=1, le=365)] = 7
) -> Response:
    def change() -> None:
        category = boards.get_category(page.session, category_id)
        case_units.set_route(
            page.session,
            actor=page.user,
            category=category,
            unit=case_units.find_unit(page.session, unit or None),
            deadline_days=deadline_days,
        )

    return _admin(page, change)
