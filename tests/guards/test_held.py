"""Posts with a word held for review: saved, seen only by their author and staff, counted and
announced nowhere until staff approve them; rejected ones are deleted."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from factories import api_token, form_post, login, make_board, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.boards.models import Board, Post, Topic
from forum.guards import service as guards
from forum.notifications.models import Notification


@pytest.fixture
def people(session, words):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    author = make_user(session, "七号楼老张")
    other = make_user(session, "jiayuan_mama")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    return board, author, other, staff


def _held_topic(client, board: Board) -> int:  # type: ignore[no-untyped-def]
    response = form_post(
        client, f"/b/{board.slug}/new", {"title": "大家进维权群", "body": "群号见图 @jiayuan_mama"}
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


class TestHeldTopic:
    def test_seen_by_author_and_staff_only_until_approved(
        self, session: Session, people, make_client
    ) -> None:  # type: ignore[no-untyped-def]
        board, author, other, staff = people
        mine, theirs, staffs, anonymous = make_client(), make_client(), make_client(), make_client()
        login(mine, author.username)
        login(theirs, other.username)
        login(staffs, staff.username)
        topic_id = _held_topic(mine, board)

        page = mine.get(f"/t/{topic_id}")
        assert page.status_code == 200 and 'data-testid="held-marker"' in page.text
        assert "大家进维权群" in page.text
        assert theirs.get(f"/t/{topic_id}").status_code == 404
        assert anonymous.get(f"/t/{topic_id}").status_code == 404
        assert anonymous.get(f"/api/v1/topics/{topic_id}").status_code == 404
        for client in (mine, theirs, anonymous):
            assert "大家进维权群" not in client.get("/b/yishi").text
            assert "大家进维权群" not in client.get("/").text
        assert anonymous.get("/api/v1/search", params={"q": "维权群"}).json()["total"] == 0
        session.rollback()  # a fresh snapshot
        assert session.get(Board, board.id).topic_count == 0  # type: ignore[union-attr]
        assert session.exec(select(Notification)).all() == []

        queue = staffs.get("/held")
        assert queue.status_code == 200 and "大家进维权群" in queue.text
        assert theirs.get("/held").status_code == 403
        post = session.exec(select(Post).where(Post.topic_id == topic_id)).one()
        assert form_post(staffs, f"/held/{post.id}/approve").status_code == 303

        assert theirs.get(f"/t/{topic_id}").status_code == 200
        assert "held-marker" not in theirs.get(f"/t/{topic_id}").text
        assert "大家进维权群" in theirs.get("/b/yishi").text
        assert anonymous.get("/api/v1/search", params={"q": "维权群"}).json()["total"] == 1
        session.rollback()  # a fresh snapshot
        assert session.get(Board, board.id).topic_count == 1  # type: ignore[union-attr]
        mentioned = session.exec(select(Notification).where(Notification.user_id == other.id)).all()
        assert len(mentioned) == 1
        assert "没有待审核的内容" in staffs.get("/held").text

    def test_rejected_topic_is_deleted(self, session: Session, people, make_client) -> None:  # type: ignore[no-untyped-def]
        board, author, _other, staff = people
        mine, staffs = make_client(), make_client()
        login(mine, author.username)
        login(staffs, staff.username)
        topic_id = _held_topic(mine, board)
        post = session.exec(select(Post).where(Post.topic_id == topic_id)).one()
        assert form_post(staffs, f"/held/{post.id}/reject", {"reason": "请勿留电话号码"}).status_code == 303
        assert mine.get(f"/t/{topic_id}").status_code == 404
        inbox = mine.get("/notifications").text
        assert "未通过你待审核的内容" in inbox and "理由：请勿留电话号码" in inbox
        long = form_post(staffs, f"/held/{post.id}/reject", {"reason": "长" * 81})
        assert long.status_code == 422 and "驳回理由不能超过 80 字" in long.text
        assert form_post(staffs, f"/held/{post.id}/approve").status_code == 409
        session.rollback()  # a fresh snapshot
        assert session.get(Board, board.id).topic_count == 0  # type: ignore[union-attr]

    def test_a_held_topic_takes_no_replies(self, session: Session, people, make_client) -> None:  # type: ignore[no-untyped-def]
        board, author, *_ = people
        mine = make_client()
        login(mine, author.username)
        topic_id = _held_topic(mine, board)
        response = form_post(mine, f"/t/{topic_id}/reply", {"body": "顶"})
        assert response.status_code == 409 and "审核" in response.text


class TestHeldReply:
    def test_hidden_from_others_and_counted_on_approval(self, session: Session, people, client) -> None:  # type: ignore[no-untyped-def]
        board, author, other, staff = people
        topic = make_topic(session, board=board, author=author)
        headers = api_token(client, other.username)
        response = client.post(
            f"/api/v1/topics/{topic.id}/replies", json={"body": "我建了个維權群"}, headers=headers
        )
        assert response.status_code == 201 and response.json()["floor"] == 2
        post_id = response.json()["id"]

        def bodies(user: str | None) -> list[str | None]:
            auth = api_token(client, user) if user else {}
            items = client.get(f"/api/v1/topics/{topic.id}/replies", headers=auth).json()["items"]
            return [i["body"] for i in items]

        assert bodies(None) == ["消防通道被堵住了"]
        assert bodies(author.username) == ["消防通道被堵住了"]
        assert bodies(other.username) == ["消防通道被堵住了", "我建了个維權群"]
        assert bodies(staff.username) == ["消防通道被堵住了", "我建了个維權群"]
        session.rollback()  # a fresh snapshot
        assert session.get(Topic, topic.id).reply_count == 0  # type: ignore[union-attr]
        assert session.exec(select(Notification).where(Notification.user_id == author.id)).all() == []

        guards.approve(session, actor=staff, post=session.get(Post, post_id))  # type: ignore[arg-type]
        session.commit()
        assert bodies(None) == ["消防通道被堵住了", "我建了个維權群"]
        assert session.get(Topic, topic.id).reply_count == 1  # type: ignore[union-attr]
        assert len(session.exec(select(Notification).where(Notification.user_id == author.id)).all()) == 1

    def test_held_sub_reply_waits_under_its_floor(self, session: Session, people) -> None:  # type: ignore[no-untyped-def]
        board, author, other, staff = people
        topic = make_topic(session, board=board, author=author)
        sub = boards.reply(session, actor=other, topic=topic, body="进维权群", parent_floor=1)
        session.commit()
        parent = boards.first_post(session, topic)
        assert sub.held_at is not None and parent.sub_count == 0
        guards.approve(session, actor=staff, post=sub)
        session.commit()
        session.refresh(parent)
        assert parent.sub_count == 1

    def test_an_edit_with_a_held_word_holds_a_published_post(self, session: Session, people) -> None:  # type: ignore[no-untyped-def]
        board, author, other, staff = people
        topic = make_topic(session, board=board, author=author)
        post = boards.reply(session, actor=other, topic=topic, body="同意")
        session.commit()
        assert topic.reply_count == 1
        boards.edit_post(session, actor=other, post=post, body="同意，进维权群")
        session.commit()
        session.refresh(topic)
        assert post.held_at is not None and topic.reply_count == 0
        guards.approve(session, actor=staff, post=post)
        session.commit()
        session.refresh(topic)
        assert post.held_at is None and topic.reply_count == 1

    def test_staff_posts_are_never_held(self, session: Session, people) -> None:  # type: ignore[no-untyped-def]
        board, _author, _other, staff = people
        topic = make_topic(session, board=board, author=staff, title="关于所谓维权群的说明")
        assert topic.held_at is None

    def test_only_moderators_review(self, session: Session, people) -> None:  # type: ignore[no-untyped-def]
        from forum.errors import NotPermitted

        board, author, other, _staff = people
        topic = make_topic(session, board=board, author=author)
        post = boards.reply(session, actor=other, topic=topic, body="维权群")
        with pytest.raises(NotPermitted):
            guards.approve(session, actor=author, post=post)
        with pytest.raises(NotPermitted):
            guards.held_posts(session, actor=other)


def test_demo_seed_has_a_word_list_and_a_held_reply(session: Session) -> None:
    from forum.demo.guards import WORDS, seed_guards
    from forum.guards.models import SensitiveWord

    admin = make_user(session, role=RoleName.ADMIN)
    resident = make_user(session)
    make_topic(session, board=make_board(session), author=resident)
    seed_guards(session, admin=admin, author=resident)
    session.commit()
    levels = {w.word: w.level for w in session.exec(select(SensitiveWord)).all()}
    assert levels["代开发票"] == "block" and levels["维权群"] == "hold" and levels["傻逼"] == "mask"
    assert len(levels) == sum(len(words.split()) for _note, words in WORDS.values())
    [held] = guards.held_posts(session, actor=admin)
    assert "维权群" in held.post.body
