"""A post held for review does not bump its topic or put its author's name on the lists until
staff approve it; a rejected one never does."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from factories import form_post, login, make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.boards.models import Post, Topic
from forum.guards import service as guards
from forum.timeutil import utcnow


@pytest.fixture
def people(session, words):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    author = make_user(session, "七号楼老张")
    neighbour = make_user(session, "jiayuan_mama")
    spammer = make_user(session, "拉群的")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    topic = make_topic(session, board=board, author=author)
    reply = make_reply(session, topic=topic, author=neighbour, body="同感")
    # Opened two days ago, last reply yesterday: any bump shows.
    now = utcnow()
    topic.created_at = boards.first_post(session, topic).created_at = now - timedelta(days=2)
    reply.created_at = topic.last_posted_at = now - timedelta(days=1)
    session.commit()
    return topic, reply, spammer, staff


def _last(session: Session, topic: Topic) -> tuple[int | None, datetime]:
    session.commit()
    session.refresh(topic)
    return topic.last_poster_id, topic.last_posted_at


class TestHeldReplyAndTheTopicList:
    def test_a_held_reply_does_not_bump_or_name_its_author(
        self, session, people, client, make_client
    ) -> None:  # type: ignore[no-untyped-def]
        topic, reply, spammer, _staff = people
        before = _last(session, topic)
        theirs = make_client()
        login(theirs, spammer.username)
        response = form_post(theirs, f"/t/{topic.id}/reply", {"body": "想维权的进维权群"})
        assert response.status_code == 303, response.text
        session.rollback()  # a fresh snapshot, after the app's write
        sub = boards.reply(session, actor=spammer, topic=topic, body="维权群加我", parent_floor=2)
        assert sub.held_at is not None
        assert _last(session, topic) == before == (reply.author_id, reply.created_at)
        for url in ("/b/yishi", "/"):
            page = client.get(url).text
            assert "拉群的" not in page and "jiayuan_mama" in page, url

    def test_approving_it_bumps_the_topic_then(self, session, people) -> None:  # type: ignore[no-untyped-def]
        topic, reply, spammer, staff = people
        held = boards.reply(session, actor=spammer, topic=topic, body="想维权的进维权群")
        session.commit()
        assert _last(session, topic)[0] == reply.author_id
        guards.approve(session, actor=staff, post=held)
        poster, when = _last(session, topic)
        assert poster == spammer.id and when > reply.created_at

    def test_a_rejected_reply_leaves_the_last_visible_one(self, session, people) -> None:  # type: ignore[no-untyped-def]
        topic, reply, spammer, staff = people
        held = boards.reply(session, actor=spammer, topic=topic, body="想维权的进维权群")
        session.commit()
        guards.reject(session, actor=staff, post=held, reason="广告")
        assert _last(session, topic) == (reply.author_id, reply.created_at)

    def test_an_edit_that_holds_the_last_reply_takes_it_off_the_list(self, session, people) -> None:  # type: ignore[no-untyped-def]
        topic, reply, spammer, staff = people
        post = make_reply(session, topic=topic, author=spammer, body="同意")
        assert _last(session, topic)[0] == spammer.id
        boards.edit_post(session, actor=spammer, post=post, body="同意，进维权群")
        assert _last(session, topic) == (reply.author_id, reply.created_at)
        guards.approve(session, actor=staff, post=session.get(Post, post.id))
        assert _last(session, topic) == (spammer.id, post.created_at)

    def test_rejecting_an_edited_reply_keeps_it_off_the_list(self, session, people) -> None:  # type: ignore[no-untyped-def]
        topic, reply, spammer, staff = people
        post = make_reply(session, topic=topic, author=spammer, body="同意")
        boards.edit_post(session, actor=spammer, post=post, body="同意，进维权群")
        session.commit()
        guards.reject(session, actor=staff, post=post)
        assert _last(session, topic) == (reply.author_id, reply.created_at)
