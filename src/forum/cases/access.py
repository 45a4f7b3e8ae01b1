"""Loading a case and telling who someone is with respect to it (staff, the unit, the poster …):
what the workflow table and every visibility check start from."""

from __future__ import annotations

from sqlmodel import Session

from forum.accounts.models import User
from forum.cases.models import Case
from forum.cases.units import unit_ids_of
from forum.cases.workflow import Party, parties
from forum.errors import NotFound


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("民情意见不存在")
    return case


def who(session: Session, user: User | None, case: Case) -> frozenset[Party]:
    return parties(user, case, unit_ids_of(session, user))


def can_see(session: Session, user: User | None, case: Case) -> bool:
    """Private cases: staff, the poster and the unit's contacts only."""
    if not case.is_private:
        return True
    return bool(who(session, user, case) & {Party.STAFF, Party.POSTER, Party.UNIT})


def get_visible_case(session: Session, case_id: int, *, viewer: User | None) -> Case:
    case = get_case(session, case_id)
    if not can_see(session, viewer, case):
        raise NotFound("民情意见不存在")
    return case
