"""A topic's last activity in the lists (time and 最后回复 name) comes from its newest visible
post: hiding or deleting the last reply falls back to the one before, restoring brings it back."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName, User
from forum.boards import queries, service
from forum.boards.models import Topic
from forum.moderation import service as moderation
from forum.timeutil import utcnow


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    alice = make_user(session, "七号楼老张")
    bob = make_user(session, "jiayuan_mama")
    spammer = make_user(session, "卖发票的")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    topic = make_topic(session, board=board, author=alice)
    good = make_reply(session, topic=topic, author=bob, body="同感")
    spam = make_reply(session, topic=topic, author=spammer, body="低价代办各类证件")
    # Distinct, known times: 1楼 two hours ago, the reply one hour ago, the spam just now.
    now = utcnow()
    topic.created_at = service.first_post(session, topic).created_at = now - timedelta(hours=2)
    good.created_at = now - timedelta(hours=1)
    session.commit()
    session.refresh(topic)
    assert topic.last_poster_id == spammer.id
    return topic, good, spam, staff


def _last(session: Session, topic: Topic) -> tuple[int | None, datetime]:
    session.commit()
    session.refresh(topic)
    return topic.last_poster_id, topic.last_posted_at


def _shown(session: Session, topic: Topic) -> str | None:
    board = service.get_board(session, topic.board_id)
    [row] = queries.board_listing(session, board=board, viewer=None).topics
    return row.last_poster.username if row.last_poster else None


class TestLastReply:
    def test_hiding_the_last_reply_falls_back_to_the_last_visible_one(self, session, world) -> None:  # type: ignore[no-untyped-def]
        topic, good, spam, staff = world
        service.set_post_hidden(session, actor=staff, post=spam, hidden=True)
        assert _last(session, topic) == (good.author_id, good.created_at)
        assert _shown(session, topic) == "jiayuan_mama"

    def test_restoring_it_brings_it_back(self, session, world) -> None:  # type: ignore[no-untyped-def]
        topic, _good, spam, staff = world
        service.set_post_hidden(session, actor=staff, post=spam, hidden=True)
        service.set_post_hidden(session, actor=staff, post=spam, hidden=False)
        assert _last(session, topic) == (spam.author_id, spam.created_at)

    def test_deleting_the_last_reply_falls_back_to_the_last_visible_one(self, session, world) -> None:  # type: ignore[no-untyped-def]
        topic, good, spam, staff = world
        service.delete_post(session, actor=staff, post=spam)
        assert _last(session, topic) == (good.author_id, good.created_at)

    def test_with_no_visible_reply_left_it_is_the_opening_post(self, session, world) -> None:  # type: ignore[no-untyped-def]
        topic, good, spam, staff = world
        service.delete_post(session, actor=staff, post=spam)
        service.set_post_hidden(session, actor=staff, post=good, hidden=True)
        assert _last(session, topic) == (topic.author_id, service.first_post(session, topic).created_at)

    def test_a_hidden_sub_reply_no_longer_names_its_author(self, session, world) -> None:  # type: ignore[no-untyped-def]
        topic, good, spam, staff = world
        spammer = session.get(User, spam.author_id)
        sub = make_reply(session, topic=topic, author=spammer, body="加我", parent_floor=1)
        assert _last(session, topic)[0] == spammer.id
        service.delete_post(session, actor=staff, post=spam)
        service.set_post_hidden(session, actor=staff, post=sub, hidden=True)
        assert _last(session, topic) == (good.author_id, good.created_at)

    def test_auto_hidden_by_reports_falls_back_too(self, session, world) -> None:  # type: ignore[no-untyped-def]
        topic, good, spam, _staff = world
        reporter = make_user(session, "八号楼李姐")
        # A threshold under one new member's report weight: this one report hides the post.
        moderation.report_post(session, actor=reporter, post=spam, reason="ad", hide_threshold=0.05)
        session.refresh(spam)
        assert spam.hidden_at is not None
        assert _last(session, topic) == (good.author_id, good.created_at)
        assert _shown(session, topic) == "jiayuan_mama"

    def test_the_board_page_does_not_name_a_hidden_replier(self, session, client, world) -> None:  # type: ignore[no-untyped-def]
        _topic, _good, spam, staff = world
        assert "卖发票的" in client.get("/b/yishi").text
        service.set_post_hidden(session, actor=staff, post=spam, hidden=True)
        session.commit()
        for url in ("/b/yishi", "/"):
            page = client.get(url).text
            assert "卖发票的" not in page and "jiayuan_mama" in page, url

    def test_hiding_an_older_reply_leaves_the_last_one(self, session, world) -> None:  # type: ignore[no-untyped-def]
        topic, good, spam, staff = world
        service.set_post_hidden(session, actor=staff, post=good, hidden=True)
        assert _last(session, topic) == (spam.author_id, spam.created_at)
