"""The word list and the rate limits reach past the forum itself: notices, consultations (their text
and residents' free-text answers) and reports."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from consultations.helpers import full_answer, parking
from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.consultations import service as consultations
from forum.consultations.models import ConsultationAnswer
from forum.errors import Invalid, RateLimited
from forum.moderation import service as moderation
from forum.notices import service as notices
from forum.notices.models import Notice


@pytest.fixture
def staff(session: Session):  # type: ignore[no-untyped-def]
    return make_user(session, "社工小李", role=RoleName.STAFF)


class TestNotices:
    def test_a_blocked_word_refuses_the_notice_and_saves_nothing(self, session, words, staff) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid, match="代开发票"):
            notices.create_notice(
                session, actor=staff, title="物业费收缴通知", body="可代開發票", category="announcement"
            )
        session.rollback()
        assert session.exec(select(Notice)).all() == []

    def test_masked_words_are_starred_in_title_body_and_edits(self, session, words, staff) -> None:  # type: ignore[no-untyped-def]
        notice = notices.create_notice(
            session, actor=staff, title="关于废物回收的通知", body="请勿乱扔废物", category="announcement"
        )
        assert notice.title == "关于**回收的通知"
        assert notice.body == "请勿乱扔**" and "废物" not in notice.body_html
        notices.edit_notice(session, actor=staff, notice=notice, body="更正：废物请投放到指定地点")
        assert notice.body == "更正：**请投放到指定地点"

    def test_hold_words_do_not_hold_a_notice(self, session, words, staff) -> None:  # type: ignore[no-untyped-def]
        notice = notices.create_notice(
            session, actor=staff, title="关于网上维权群的提醒", body="谨防诈骗", category="announcement"
        )
        assert notice.title == "关于网上维权群的提醒"
        assert notice.topic_id is not None


class TestConsultations:
    def test_blocked_words_in_the_title_refuse_it(self, session, words, staff) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(Invalid, match="代开发票"):
            parking(session, staff, title="代开发票停车方案")

    def test_free_text_answers_are_masked_and_blocked(self, session, words, staff) -> None:  # type: ignore[no-untyped-def]
        consultation = parking(session, staff)
        resident = make_user(session, "七号楼老张")
        with pytest.raises(Invalid, match="VX加我"):
            consultations.submit_answers(
                session,
                actor=resident,
                consultation=consultation,
                answers=full_answer(session, consultation, text="车位出租 ｖｘ加我"),
            )
        session.rollback()
        assert session.exec(select(ConsultationAnswer)).all() == []
        consultations.submit_answers(
            session,
            actor=resident,
            consultation=consultation,
            answers=full_answer(session, consultation, text="物业就是废物"),
        )
        session.commit()
        texts = [a.text for a in session.exec(select(ConsultationAnswer)).all() if a.text]
        assert texts == ["物业就是**"]


class TestReports:
    def test_reports_are_rate_limited(self, session, guarded) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        author = make_user(session, "发帖人")
        reporter = make_user(session, "热心居民")
        topic = make_topic(session, board=board, author=author)
        posts = [make_reply(session, topic=topic, author=author, body=f"第{i}条") for i in range(3)]
        with guarded(reports_per_window=2):
            for post in posts[:2]:
                moderation.report_post(session, actor=reporter, post=post, reason="ad")
            with pytest.raises(RateLimited) as refused:
                moderation.report_post(session, actor=reporter, post=posts[2], reason="ad")
        assert "太频繁" in refused.value.message
        assert refused.value.retry_after > 0
