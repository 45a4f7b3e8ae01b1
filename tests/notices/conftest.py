"""Shared set-up for the notice tests: staff, and residents with and without a verified household."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from factories import make_user
from forum.accounts.models import RoleName, User
from notices.helpers import verify


@dataclass
class People:
    staff: User
    resident: User  # verified household
    neighbour: User  # verified household
    newcomer: User  # not verified


@pytest.fixture
def people(session: Session) -> People:
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    resident = verify(session, make_user(session, "七号楼老张"))
    neighbour = verify(session, make_user(session, "八号楼王阿姨"), building="8")
    newcomer = make_user(session, "新搬来的小刘")
    return People(staff, resident, neighbour, newcomer)
