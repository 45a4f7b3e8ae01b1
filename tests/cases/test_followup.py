"""回访: N days after 已解决 the reporter is asked 解决了吗; a rating, a staff call-back and no answer
in time (未评价) are three different facts. Time is passed in (a frozen clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from factories import form_post, login, make_board, make_topic, make_unit_contact, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import followup, intake, service
from forum.cases.models import Case, CaseEvent, Status
from forum.notifications.models import Notification
from forum.timeutil import utcnow


@pytest.fixture
def resolved(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing")
    poster = make_user(session, "七号楼老张")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    unit = make_unit_contact(session, "物业小刘")
    topic = make_topic(session, board=board, author=poster, title="电梯分时段运行", tags=["wuye"])
    case = intake.open_case(session, actor=staff, post=boards.first_post(session, topic))
    for action in ("accept", "start"):
        service.perform(session, actor=staff, case=case, action=action)
    service.perform(session, actor=unit, case=case, action="resolve", note="电梯已改为24小时运行")
    session.commit()
    return poster, staff, case


def kinds(session, case: Case) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        session.exec(
            select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
        ).all()
    )


class TestTimer:
    def test_asks_once_after_n_days(self, session, resolved):  # type: ignore[no-untyped-def]
        poster, _staff, case = resolved
        now = utcnow()
        assert followup.ask_followups(session, after_days=3, now=now + timedelta(days=2)) == 0
        assert followup.ask_followups(session, after_days=3, now=now + timedelta(days=3, minutes=1)) == 1
        assert followup.ask_followups(session, after_days=3, now=now + timedelta(days=4)) == 0
        session.commit()
        asks = session.exec(
            select(Notification).where(
                Notification.user_id == poster.id, Notification.kind == "case_followup"
            )
        ).all()
        assert len(asks) == 1 and asks[0].case_id == case.id
        assert kinds(session, case)[-1] == "followup_asked"

    def test_no_answer_records_unrated_and_closes(self, session, resolved):  # type: ignore[no-untyped-def]
        _poster, _staff, case = resolved
        now = utcnow()
        followup.ask_followups(session, after_days=3, now=now + timedelta(days=3))
        assert followup.expire_followups(session, expire_days=7, now=now + timedelta(days=9)) == 0
        assert followup.expire_followups(session, expire_days=7, now=now + timedelta(days=10, minutes=1)) == 1
        session.commit()
        session.refresh(case)
        assert case.status == Status.CLOSED and case.unrated_at is not None
        assert case.rating is None and case.rated_at is None and case.followed_up_at is None
        event = session.exec(select(CaseEvent).where(CaseEvent.kind == "no_rating")).one()
        assert event.actor_id is None and event.to_status == Status.CLOSED and "未评价" in event.detail

    def test_a_case_never_asked_is_not_expired(self, session, resolved):  # type: ignore[no-untyped-def]
        _poster, _staff, case = resolved
        assert followup.expire_followups(session, expire_days=7, now=utcnow() + timedelta(days=30)) == 0
        session.refresh(case)
        assert case.status == Status.RESOLVED

    def test_run_periodic_does_the_whole_loop(self, session, resolved):  # type: ignore[no-untyped-def]
        _poster, _staff, case = resolved
        now = utcnow()
        first = followup.run_periodic(session, archive_after_days=7, now=now + timedelta(days=4))
        assert first.asked == 1 and first.unrated == 0
        second = followup.run_periodic(session, archive_after_days=7, now=now + timedelta(days=12))
        assert second.unrated == 1
        session.refresh(case)
        assert case.status == Status.CLOSED


class TestThreeFacts:
    def test_resident_rating_is_rated_not_followed_up(self, session, resolved):  # type: ignore[no-untyped-def]
        poster, _staff, case = resolved
        followup.rate(session, actor=poster, case=case, rating="satisfied", comment_text="现在24小时都能用了")
        assert case.status == Status.RATED and case.rated_at is not None and case.followed_up_at is None
        assert kinds(session, case)[-1] == "rate"

    def test_staff_call_back_is_followed_up_not_rated(self, session, resolved):  # type: ignore[no-untyped-def]
        _poster, staff, case = resolved
        service.perform(session, actor=staff, case=case, action="follow_up", note="电话回访，居民表示满意")
        assert case.status == Status.FOLLOWED_UP and case.followed_up_at is not None
        assert case.rating is None and case.rated_at is None

    def test_both_are_archived_later(self, session, resolved):  # type: ignore[no-untyped-def]
        poster, _staff, case = resolved
        followup.rate(session, actor=poster, case=case, rating="basically")
        session.commit()
        assert followup.archive_followed_up(session, days=7, now=utcnow() + timedelta(days=8)) == 1
        session.refresh(case)
        assert case.status == Status.CLOSED and case.rating == "basically"
        archive = session.exec(select(CaseEvent).where(CaseEvent.kind == "archive")).one()
        assert "评价后" in archive.detail

    def test_unsatisfied_reopens_and_asks_again_after_the_next_resolution(self, session, resolved):  # type: ignore[no-untyped-def]
        poster, staff, case = resolved
        now = utcnow()
        followup.ask_followups(session, after_days=3, now=now + timedelta(days=3))
        followup.rate(session, actor=poster, case=case, rating="unsatisfied", comment_text="晚上还是停")
        assert case.status == Status.IN_PROGRESS and case.followup_asked_at is None
        service.perform(session, actor=staff, case=case, action="resolve", note="夜间也开了")
        session.commit()
        assert followup.ask_followups(session, after_days=3, now=now + timedelta(days=7)) == 1


def test_rating_from_the_followup_notification(client, session, resolved):  # type: ignore[no-untyped-def]
    poster, _staff, case = resolved
    followup.ask_followups(session, after_days=0, now=utcnow())
    session.commit()
    login(client, poster.username)
    inbox = client.get("/notifications")
    assert 'data-testid="followup-notice"' in inbox.text and "解决了吗" in inbox.text
    response = form_post(client, f"/cases/{case.id}/act", {"action": "rate", "rating": "satisfied"})
    assert response.status_code == 303
    session.refresh(case)
    assert case.status == Status.RATED and case.rating == "satisfied"
    assert "已评价" in client.get(f"/cases/{case.id}").text
