"""Units (归口: 物业公司, 驻区单位, 施工单位, 街道科室 …), their contacts, and how a category routes
to a default unit and deadline."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards.models import Category
from forum.boards.service import clean_text
from forum.cases.models import CategoryRoute, Unit, UnitMember
from forum.errors import Conflict, Invalid, NotFound
from forum.policy import Action, require


def list_units(session: Session, *, active_only: bool = False) -> list[Unit]:
    query = select(Unit).order_by(col(Unit.position), col(Unit.id))
    if active_only:
        query = query.where(col(Unit.is_active).is_(True))
    return list(session.exec(query).all())


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("单位不存在")
    return unit


def find_unit(session: Session, ref: str | int | None) -> Unit | None:
    """A unit by id or by name; None for an empty reference, Invalid for an unknown one."""
    if ref is None or ref == "":
        return None
    unit = None
    text = str(ref).strip()
    # Only a plain number of sane length is an id ("²".isdigit() is true, and ids stop at 2**62).
    if isinstance(ref, int) or (text.isascii() and text.isdigit() and len(text) <= 18):
        unit = session.get(Unit, int(text))
    if unit is None:
        unit = session.exec(select(Unit).where(Unit.name == text[:40])).first()
    if unit is None:
        raise Invalid("未知的责任单位", field="unit")
    return unit


def create_unit(session: Session, *, actor: User | None, name: str, kind: str = "", phone: str = "") -> Unit:
    require(actor, Action.MANAGE_UNITS)
    name = re.sub(r"\s+", " ", clean_text(name))
    if not name or len(name) > 40:
        raise Invalid("单位名称须为 1–40 个字", field="name")
    if session.exec(select(Unit.id).where(Unit.name == name)).first() is not None:
        raise Conflict("已有同名的单位", field="name")
    position = session.exec(select(func.coalesce(func.max(Unit.position), 0))).one() + 1
    unit = Unit(name=name, kind=clean_text(kind)[:20], phone=clean_text(phone)[:30], position=position)
    session.add(unit)
    session.flush()
    return unit


def set_unit_member(session: Session, *, actor: User | None, unit: Unit, user: User, on: bool = True) -> None:
    """Make a user a contact of a unit (or stop); contacts see and answer the unit's cases."""
    require(actor, Action.MANAGE_UNITS)
    row = session.get(UnitMember, (unit.id, user.id))
    if on and row is None:
        session.add(UnitMember(unit_id=unit.id, user_id=user.id))  # type: ignore[arg-type]
    elif not on and row is not None:
        session.delete(row)
    session.flush()


def unit_ids_of(session: Session, user: User | None) -> frozenset[int]:
    if user is None:
        return frozenset()
    return frozenset(session.exec(select(UnitMember.unit_id).where(UnitMember.user_id == user.id)).all())


def unit_members(session: Session, unit_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(UnitMember, col(UnitMember.user_id) == User.id)
            .where(UnitMember.unit_id == unit_id)
        ).all()
    )


def has_contact(session: Session, unit_id: int | None) -> bool:
    """Whether anyone answers for the unit: a case routed to a unit without one is heard by nobody."""
    if unit_id is None:
        return False
    return (
        session.exec(select(UnitMember.user_id).where(UnitMember.unit_id == unit_id).limit(1)).first()
        is not None
    )


def units_without_contact(session: Session) -> set[int]:
    staffed = set(session.exec(select(UnitMember.unit_id).distinct()).all())
    return {u.id for u in list_units(session, active_only=True) if u.id not in staffed}  # type: ignore[misc]


def route_of(session: Session, category_id: int | None) -> CategoryRoute | None:
    return session.get(CategoryRoute, category_id) if category_id is not None else None


def set_route(
    session: Session, *, actor: User | None, category: Category, unit: Unit | None, deadline_days: int
) -> CategoryRoute:
    """A category's default responsible unit and deadline (in days)."""
    require(actor, Action.MANAGE_UNITS)
    if not 1 <= deadline_days <= 365:
        raise Invalid("默认期限须为 1–365 天", field="deadline_days")
    route = session.get(CategoryRoute, category.id) or CategoryRoute(category_id=category.id)  # type: ignore[arg-type]
    route.unit_id = unit.id if unit else None
    route.deadline_days = deadline_days
    session.add(route)
    session.flush()
    return route
