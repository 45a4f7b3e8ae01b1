"""我的待办 (forum.cases.queries.todo): overdue cases first, then the longest waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from factories import login, make_unit_contact, make_user
from forum.accounts.models import RoleName
from forum.cases import intake, queries
from forum.cases.models import Case
from forum.timeutil import utcnow


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    return make_user(session, "社工小李", role=RoleName.STAFF), make_unit_contact(session, "物业小刘")


def _open(session, staff, title: str, *, age_days: int, due_in_days: int = 30) -> Case:  # type: ignore[no-untyped-def]
    case = intake.open_case(
        session, actor=staff, title=title, description="电话反映", source="phone", unit="物业公司"
    )
    now = utcnow()
    # Set directly: the order cases are created in a test is also their id order.
    case.created_at = now - timedelta(days=age_days)
    case.due_at = now + timedelta(days=due_in_days)
    session.commit()
    return case


class TestTodo:
    def test_creation_time_not_id_decides_the_order(self, session, people) -> None:  # type: ignore[no-untyped-def]
        staff, contact = people
        newest = _open(session, staff, "楼道灯坏了", age_days=1)
        oldest = _open(session, staff, "垃圾站异味", age_days=9)
        middle = _open(session, staff, "电梯异响", age_days=4)
        assert newest.id < oldest.id < middle.id
        rows = queries.todo(session, user=contact)
        assert [r.case.id for r in rows] == [oldest.id, middle.id, newest.id]

    def test_overdue_cases_come_first(self, session, people) -> None:  # type: ignore[no-untyped-def]
        staff, contact = people
        old = _open(session, staff, "垃圾站异味", age_days=9)
        overdue = _open(session, staff, "楼道灯坏了", age_days=1, due_in_days=-1)
        older_overdue = _open(session, staff, "电梯异响", age_days=3, due_in_days=-2)
        rows = queries.todo(session, user=contact)
        assert [r.case.id for r in rows] == [older_overdue.id, overdue.id, old.id]
        assert [r.overdue for r in rows] == [True, True, False]

    def test_the_page_says_how_it_is_sorted(self, session, people, client) -> None:  # type: ignore[no-untyped-def]
        staff, _contact = people
        _open(session, staff, "楼道灯坏了", age_days=1)
        _open(session, staff, "垃圾站异味", age_days=9)
        login(client, "物业小刘")
        page = client.get("/cases/todo").text
        assert "已逾期的排在最前" in page
        assert page.index("垃圾站异味") < page.index("楼道灯坏了")
