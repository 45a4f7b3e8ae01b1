"""Atom feeds parse as Atom (feedparser, not string matching) and show only what a visitor may see;
the community calendar parses as iCalendar."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
from icalendar import Calendar

from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import intake as case_intake
from forum.cases import meetings as case_meetings
from forum.cases import service as cases
from forum.cases.workflow import CaseAction
from forum.timeutil import utcnow


def parse_atom(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    return {
        "resident": make_user(session, "七号楼老张"),
        "staff": make_user(session, "社工小李", role=RoleName.STAFF),
    }


class TestBoardFeed:
    def test_lists_new_topics_newest_first_with_their_opening_post(self, client, session, people):  # type: ignore[no-untyped-def]
        board = make_board(session, "yishi", name="社区议事")
        make_topic(
            session, board=board, author=people["resident"], title="7号楼院内乱停车", tags=["小区停车"]
        )
        second = make_topic(
            session, board=board, author=people["resident"], title="电梯又坏了", body="**三天**没修好"
        )
        make_reply(session, topic=second, author=people["staff"], body="已联系物业")
        feed = parse_atom(client.get("/feeds/boards/yishi.atom"))
        assert feed.feed.title == "社区议事 · 新帖"
        assert [e.title for e in feed.entries] == ["电梯又坏了", "7号楼院内乱停车"]
        newest = feed.entries[0]
        assert newest.link.endswith(f"/t/{second.id}")
        assert newest.author == "七号楼老张"
        assert "<strong>三天</strong>" in newest.content[0].value
        assert [t.term for t in feed.entries[1].tags] == ["小区停车"]
        assert any(link.rel == "self" for link in feed.feed.links)

    def test_hidden_held_and_deleted_topics_stay_out(self, client, session, people):  # type: ignore[no-untyped-def]
        board = make_board(session, "yishi", name="社区议事")
        hidden = make_topic(session, board=board, author=people["resident"], title="广告帖")
        mine = make_topic(session, board=board, author=people["resident"], title="我删掉的帖")
        held = make_topic(session, board=board, author=people["resident"], title="待审核的帖")
        make_topic(session, board=board, author=people["resident"], title="正常的帖子")
        held.held_at = utcnow()
        session.add(held)
        boards.set_post_hidden(session, actor=people["staff"], post=_first_post(session, hidden), hidden=True)
        boards.delete_post(session, actor=people["resident"], post=_first_post(session, mine))
        session.commit()
        feed = parse_atom(client.get("/feeds/boards/yishi.atom"))
        assert [e.title for e in feed.entries] == ["正常的帖子"]

    def test_unknown_board_is_404(self, client):  # type: ignore[no-untyped-def]
        assert client.get("/feeds/boards/nope.atom").status_code == 404

    def test_board_page_advertises_its_feed(self, client, session):  # type: ignore[no-untyped-def]
        make_board(session, "yishi", name="社区议事")
        html = client.get("/b/yishi").text
        assert 'type="application/atom+xml"' in html
        assert '/feeds/boards/yishi.atom"' in html


class TestCaseFeed:
    def _case(self, session, people):  # type: ignore[no-untyped-def]
        case = case_intake.open_case(
            session,
            actor=people["staff"],
            title="7/8号楼停车难",
            description="晚上车位不够，消防通道被占",
            source="visit",
            category="小区停车",
        )
        cases.transition(session, actor=people["staff"], case=case, action=CaseAction.ACCEPT)
        cases.comment(session, actor=people["staff"], case=case, note="已约物业周五协调")
        cases.comment(session, actor=people["staff"], case=case, note="内部：业主委员会有分歧", public=False)
        session.commit()
        return case

    def test_public_timeline_newest_first_without_staff_notes(self, client, session, people):  # type: ignore[no-untyped-def]
        case = self._case(session, people)
        feed = parse_atom(client.get(f"/feeds/cases/{case.id}.atom"))
        assert feed.feed.title == f"民情意见 #{case.id}：7/8号楼停车难"
        titles = [e.title for e in feed.entries]
        assert titles[0] == "社区回复"
        assert "受理 → 已受理" in titles
        assert titles[-1].startswith("立案")
        text = " ".join(e.summary for e in feed.entries)
        assert "已约物业周五协调" in text
        assert "业主委员会有分歧" not in client.get(f"/feeds/cases/{case.id}.atom").text
        assert feed.entries[0].link.endswith(f"/cases/{case.id}#event-{feed.entries[0].id.rsplit(':', 1)[1]}")

    def test_private_case_has_no_feed_even_for_staff(self, client, session, people):  # type: ignore[no-untyped-def]
        case = case_intake.open_case(
            session,
            actor=people["staff"],
            title="家庭纠纷",
            description="邻里矛盾",
            source="phone",
            is_private=True,
        )
        session.commit()
        from factories import login

        login(client, "社工小李")
        assert client.get(f"/feeds/cases/{case.id}.atom").status_code == 404
        assert client.get("/feeds/cases/999999.atom").status_code == 404


class TestCalendar:
    def test_upcoming_meetings_are_events(self, client, session, people):  # type: ignore[no-untyped-def]
        soon = utcnow() + timedelta(days=2)
        case_meetings.record_meeting(
            session,
            actor=people["staff"],
            kind="coordination",
            title="7/8号楼停车协调会",
            starts_at=soon,
            place="社区会议室",
        )
        case_meetings.record_meeting(
            session,
            actor=people["staff"],
            kind="talk",
            title="去年的恳谈会",
            starts_at=utcnow() - timedelta(days=60),
            place="活动室",
        )
        session.commit()
        response = client.get("/calendar.ics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        events = [c for c in calendar.walk("VEVENT")]
        assert [str(e["summary"]) for e in events] == ["协调会：7/8号楼停车协调会"]
        assert abs(events[0].decoded("dtstart") - soon) < timedelta(seconds=1)
        assert "/meetings/" in str(events[0]["url"])

    def test_open_consultations_put_their_deadline_on_the_calendar(self, client, session, people):  # type: ignore[no-untyped-def]
        from forum.consultations import service as consultations
        from forum.consultations.service import QuestionDraft

        closes = utcnow() + timedelta(days=10)
        question = QuestionDraft(kind="single", prompt="您支持哪个方案？", options=["方案一", "方案二"])
        open_one = consultations.create_consultation(
            session,
            actor=people["staff"],
            title="7/8号楼停车区域划分方案征求意见",
            closes_at=closes,
            questions=[question],
        )
        consultations.create_consultation(
            session,
            actor=people["staff"],
            title="还没开始的征求意见",
            closes_at=closes + timedelta(days=5),
            opens_at=utcnow() + timedelta(days=3),
            questions=[question],
        )
        session.commit()
        calendar = Calendar.from_ical(client.get("/calendar.ics").content)
        events = list(calendar.walk("VEVENT"))
        assert [str(e["summary"]) for e in events] == ["征求意见截止：7/8号楼停车区域划分方案征求意见"]
        assert abs(events[0].decoded("dtstart") - closes) < timedelta(seconds=1)
        assert str(events[0]["url"]).endswith(f"/consultations/{open_one.id}")


def _first_post(session, topic):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from forum.boards.models import Post

    return session.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == 1)).one()


class TestNoticesFeed:
    def test_published_notices_only_scheduled_and_withdrawn_stay_out(self, client, session, people):  # type: ignore[no-untyped-def]
        from forum.notices import service as notices

        staff = people["staff"]
        notices.create_notice(
            session,
            actor=staff,
            title="7/8号楼停车区域划分方案",
            body="| 区域 | 车位 |\n|---|---|\n| A | 12 |",
            category="announcement",
        )
        withdrawn = notices.create_notice(
            session, actor=staff, title="发错的通知", body="作废", category="announcement"
        )
        notices.withdraw(session, actor=staff, notice=withdrawn, reason="内容有误")
        notices.create_notice(
            session,
            actor=staff,
            title="下月才发布的财务公开",
            body="待定",
            category="finance",
            publish_at=utcnow() + timedelta(days=30),
        )
        edited = notices.create_notice(
            session, actor=staff, title="协调会纪要", body="初稿", category="minutes"
        )
        notices.edit_notice(session, actor=staff, notice=edited, body="修改后的纪要")
        session.commit()
        feed = parse_atom(client.get("/feeds/notices.atom"))
        assert [e.title for e in feed.entries] == ["协调会纪要", "7/8号楼停车区域划分方案"]
        minutes = feed.entries[0]
        assert "修改后的纪要" in minutes.content[0].value
        assert minutes.link.endswith(f"/notices/{edited.id}")
        assert [t.term for t in minutes.tags] == ["会议纪要"]
        assert feed.entries[1].tags[0].term == "通知公告"
        assert "<table>" in feed.entries[1].content[0].value
        html = client.get("/notices").text
        assert '/feeds/notices.atom"' in html
