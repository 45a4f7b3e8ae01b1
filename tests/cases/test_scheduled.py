"""Scheduled work: archiving after 已回访, overdue notices, deadlines; and the CLI that runs it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from factories import make_board, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import followup, intake, queries, service
from forum.cases.models import CaseEvent, Status
from forum.cli import app as cli
from forum.errors import Invalid
from forum.notifications import service as notifications
from forum.timeutil import utcnow


@pytest.fixture
def case_world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing")
    poster = make_user(session, "七号楼老张")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    topic = make_topic(session, board=board, author=poster, tags=["tingche"])
    case = intake.open_case(session, actor=staff, post=boards.first_post(session, topic))
    session.commit()
    return poster, staff, case


def test_followed_up_cases_are_archived_after_n_days(session, case_world):  # type: ignore[no-untyped-def]
    poster, staff, case = case_world
    for action in ("accept", "start", "resolve"):
        service.perform(session, actor=staff, case=case, action=action, note="好了")
    followup.rate(session, actor=poster, case=case, rating="satisfied")
    session.commit()
    assert followup.archive_followed_up(session, days=7, now=utcnow() + timedelta(days=6)) == 0
    assert followup.archive_followed_up(session, days=7, now=utcnow() + timedelta(days=8)) == 1
    session.refresh(case)
    assert case.status == Status.CLOSED
    last = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()  # type: ignore[union-attr]
    assert last.kind == "archive" and last.actor_id is None
    assert followup.archive_followed_up(session, days=7, now=utcnow() + timedelta(days=9)) == 0


def test_overdue_cases_are_flagged_listed_and_notified_once(session, case_world):  # type: ignore[no-untyped-def]
    _poster, staff, case = case_world
    later = utcnow() + timedelta(days=30)
    assert not case.is_overdue(utcnow()) and case.is_overdue(later)
    assert followup.notify_overdue(session, now=later) == 1
    assert followup.notify_overdue(session, now=later) == 0
    session.commit()
    inbox = notifications.inbox(session, user=staff)
    assert [n.kind for n in inbox] == ["case_overdue"]
    case.due_at = utcnow() - timedelta(hours=1)
    session.commit()
    listing = queries.case_list(session, filters=queries.CaseFilters(overdue=True))
    assert [r.case.id for r in listing.rows] == [case.id] and listing.rows[0].overdue


def test_deadline_change_is_recorded_with_reason(session, case_world):  # type: ignore[no-untyped-def]
    _poster, staff, case = case_world
    new_day = (utcnow() + timedelta(days=20)).date()
    with pytest.raises(Invalid, match="原因"):
        service.set_deadline(session, actor=staff, case=case, due=new_day, note="")
    with pytest.raises(Invalid, match="一年之内"):
        service.set_deadline(session, actor=staff, case=case, due="2001-01-01", note="补录")
    service.set_deadline(session, actor=staff, case=case, due=new_day, note="物业需要采购材料")
    event = session.exec(select(CaseEvent).where(CaseEvent.kind == "deadline")).one()
    assert new_day.isoformat() in event.detail and event.note == "物业需要采购材料"


def test_forum_archive_command(session, case_world, settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORUM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FORUM_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["archive", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "已归档 0 件" in result.output
