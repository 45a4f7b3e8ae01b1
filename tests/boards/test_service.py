"""The forum's rules, called directly: floors, 楼中楼, quotes, edits, deletes, likes, moderation."""

from __future__ import annotations

import pytest
from sqlmodel import select

from factories import make_board, make_reply, make_topic, make_user
from forum import keyset
from forum.accounts.models import RoleName
from forum.boards import queries, service
from forum.boards.models import Post, PostRevision, Topic
from forum.errors import Conflict, Invalid, NotAuthenticated, NotFound, NotPermitted
from forum.notifications import service as notifications


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    alice = make_user(session, "七号楼老张")
    bob = make_user(session, "jiayuan_mama")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    topic = make_topic(session, board=board, author=alice, tags=["tingche"])
    return board, alice, bob, staff, topic


class TestCreateTopic:
    def test_topic_is_floor_one_with_tags_and_counts(self, session, world):  # type: ignore[no-untyped-def]
        board, alice, *_, topic = world
        first = service.first_post(session, topic)
        assert first.floor == 1 and first.author_id == alice.id
        session.refresh(board)
        assert (board.topic_count, board.post_count) == (1, 1)
        view = queries.topic_page(session, topic=topic, viewer=None)
        assert [t.name for t in view.tags] == ["小区停车"]

    @pytest.mark.parametrize(
        ("title", "body", "field"),
        [
            ("", "内容", "title"),
            ("   ", "内容", "title"),
            ("标" * 61, "内容", "title"),
            ("标题", "", "body"),
            ("标题", "字" * 10_001, "body"),
            ("标题", "\u200b\u202e", "body"),
        ],
    )
    def test_invalid_title_or_body_is_refused(self, session, world, title, body, field):  # type: ignore[no-untyped-def]
        board, alice, *_ = world
        with pytest.raises(Invalid) as exc:
            service.create_topic(session, actor=alice, board=board, title=title, body=body)
        assert exc.value.field == field

    def test_unknown_tag_is_refused_not_dropped(self, session, world):  # type: ignore[no-untyped-def]
        board, alice, *_ = world
        with pytest.raises(Invalid, match="未知的分类标签"):
            service.create_topic(
                session, actor=alice, board=board, title="标题", body="内容", tags=["外星人"]
            )

    def test_tags_by_name_or_slug(self, session, world):  # type: ignore[no-untyped-def]
        board, alice, *_ = world
        topic = service.create_topic(
            session, actor=alice, board=board, title="狗", body="狗叫", tags=["不文明养狗", "huanjing"]
        )
        tags = queries.tags_by_topic(session, [topic.id])[topic.id]
        assert [t.name for t in tags] == ["不文明养狗", "环境整治"]

    def test_visitor_cannot_post(self, session, world):  # type: ignore[no-untyped-def]
        board, *_ = world
        with pytest.raises(NotAuthenticated):
            service.create_topic(session, actor=None, board=board, title="标题", body="内容")

    def test_staff_only_board_refuses_residents_but_takes_staff(self, session, world):  # type: ignore[no-untyped-def]
        _board, alice, _bob, staff, _ = world
        notices = make_board(session, "gongkai", name="居务公开", staff_only_topics=True)
        with pytest.raises(NotPermitted):
            service.create_topic(session, actor=alice, board=notices, title="通知", body="内容")
        topic = service.create_topic(session, actor=staff, board=notices, title="停水通知", body="周三停水")
        assert topic.id

    def test_markup_is_rendered_and_html_is_inert(self, session, world):  # type: ignore[no-untyped-def]
        board, alice, *_ = world
        topic = service.create_topic(
            session,
            actor=alice,
            board=board,
            title="<script>alert(1)</script>",
            body="**加粗** <img src=x onerror=alert(1)> [x](javascript:alert(1)) https://example.org",
        )
        post = service.first_post(session, topic)
        assert "<strong>加粗</strong>" in post.body_html
        assert "<img" not in post.body_html and "javascript:" not in post.body_html.replace(
            "[x](javascript", ""
        )
        assert 'href="https://example.org"' in post.body_html
        assert topic.title == "<script>alert(1)</script>"  # stored as typed, escaped when shown


class TestFloors:
    def test_replies_get_consecutive_floors(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        floors = [make_reply(session, topic=topic, author=bob if i % 2 else alice).floor for i in range(5)]
        assert floors == [2, 3, 4, 5, 6]
        session.refresh(topic)
        assert topic.floor_count == 6 and topic.reply_count == 5

    def test_subreply_has_no_floor_and_does_not_shift_numbers(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        make_reply(session, topic=topic, author=bob)
        sub = make_reply(session, topic=topic, author=alice, parent_floor=2, body="楼中楼")
        assert sub.floor is None and sub.parent_id is not None
        assert make_reply(session, topic=topic, author=bob).floor == 3

    def test_first_three_subreplies_shown_rest_counted(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        make_reply(session, topic=topic, author=bob)
        for i in range(5):
            make_reply(session, topic=topic, author=alice, parent_floor=2, body=f"第{i}条")
        view = queries.topic_page(session, topic=topic, viewer=None, subs_shown=3)
        floor2 = view.floors[1]
        assert [s.post.body for s in floor2.subs] == ["第0条", "第1条", "第2条"]
        assert floor2.subs_more == 2
        parent = service.get_floor(session, topic, 2)
        assert len(queries.subreplies(session, parent=parent, viewer=None)) == 5

    def test_reply_to_missing_floor_is_not_found(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, _s, topic = world
        with pytest.raises(NotFound):
            service.reply(session, actor=bob, topic=topic, body="hi", parent_floor=99)
        with pytest.raises(NotFound):
            service.reply(session, actor=bob, topic=topic, body="hi", quote_floor=99)

    def test_quote_records_the_quoted_floor(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, _s, topic = world
        post = make_reply(session, topic=topic, author=bob, quote_floor=1, body="说得对")
        view = queries.post_view(session, post=post, viewer=None)
        assert view.quote is not None and view.quote.floor == 1 and "消防通道" in view.quote.excerpt

    def test_locked_topic_refuses_replies(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, staff, topic = world
        service.set_topic_flag(session, actor=staff, topic=topic, flag="is_locked", value=True)
        with pytest.raises(Conflict, match="锁定"):
            service.reply(session, actor=bob, topic=topic, body="还能回吗")

    def test_deleted_topic_refuses_replies(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        service.delete_topic(session, actor=alice, topic=topic)
        with pytest.raises(Conflict, match="删除"):
            service.reply(session, actor=bob, topic=topic, body="还能回吗")

    def test_rolled_back_reply_returns_its_floor(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, _s, topic = world
        service.reply(session, actor=bob, topic=topic, body="会被回滚")
        session.rollback()
        assert make_reply(session, topic=topic, author=bob).floor == 2

    def test_page_of_floor(self):  # type: ignore[no-untyped-def]
        assert [queries.page_of_floor(n, 30) for n in (1, 30, 31, 60, 61)] == [1, 1, 2, 2, 3]

    def test_topic_pages_hold_thirty_floors_and_author_only_filters(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        for i in range(64):
            make_reply(session, topic=topic, author=alice if i % 4 == 0 else bob, body=f"回复{i}")
        session.refresh(topic)
        page2 = queries.topic_page(session, topic=topic, viewer=None, page=2)
        assert [f.post.floor for f in page2.floors] == list(range(31, 61)) and page2.pages == 3
        only = queries.topic_page(session, topic=topic, viewer=None, author_only=True)
        assert {f.author.id for f in only.floors} == {alice.id}
        assert [f.post.floor for f in only.floors][:3] == [1, 2, 6]


class TestEditAndDelete:
    def test_edit_keeps_revision_and_marks_edited(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, *_, topic = world
        first = service.first_post(session, topic)
        service.edit_post(session, actor=alice, post=first, body="新的内容", title="新标题")
        assert first.edited_at is not None and topic.title == "新标题"
        revision = session.exec(select(PostRevision).where(PostRevision.post_id == first.id)).one()
        assert (revision.title, revision.body) == ("7号楼院内乱停车", "消防通道被堵住了")

    def test_editing_someone_elses_post_is_refused(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, _s, topic = world
        with pytest.raises(NotPermitted):
            service.edit_post(session, actor=bob, post=service.first_post(session, topic), body="改掉")

    def test_staff_may_edit_any_post(self, session, world):  # type: ignore[no-untyped-def]
        *_, staff, topic = world
        service.edit_post(session, actor=staff, post=service.first_post(session, topic), body="已处理")

    def test_soft_delete_keeps_floor_and_text(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, staff, topic = world
        post = make_reply(session, topic=topic, author=bob, body="说错了")
        make_reply(session, topic=topic, author=bob)
        service.delete_post(session, actor=bob, post=post)
        session.commit()
        public = queries.topic_page(session, topic=topic, viewer=None)
        assert [f.post.floor for f in public.floors] == [1, 2, 3]
        assert public.floors[1].state == "deleted" and not public.floors[1].show_body
        staff_view = queries.topic_page(session, topic=topic, viewer=staff)
        assert staff_view.floors[1].show_body and staff_view.floors[1].post.body == "说错了"
        with pytest.raises(Conflict):
            service.edit_post(session, actor=bob, post=post, body="再改")

    def test_deleting_first_floor_hides_topic_from_residents(self, session, world):  # type: ignore[no-untyped-def]
        board, alice, bob, staff, topic = world
        service.delete_topic(session, actor=alice, topic=topic)
        with pytest.raises(NotFound):
            service.get_topic(session, topic.id, viewer=bob)
        assert service.get_topic(session, topic.id, viewer=staff).deleted_at is not None
        listing = queries.board_listing(session, board=board, viewer=bob)
        assert listing.topics == []

    def test_deleting_someone_elses_post_is_refused(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, _s, topic = world
        with pytest.raises(NotPermitted):
            service.delete_post(session, actor=bob, post=service.first_post(session, topic))


class TestLikesAndFollows:
    def test_like_once_per_user(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        post = service.first_post(session, topic)
        assert service.like(session, actor=bob, post=post) == 1
        assert service.like(session, actor=bob, post=post) == 1
        assert service.like(session, actor=alice, post=post) == 2
        assert service.like(session, actor=bob, post=post, on=False) == 1

    def test_visitor_cannot_like(self, session, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        with pytest.raises(NotAuthenticated):
            service.like(session, actor=None, post=service.first_post(session, topic))


class TestNotifications:
    def test_reply_notifies_topic_author_floor_author_mention_and_followers(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, staff, topic = world
        carol = make_user(session, "王阿姨")
        service.follow(session, actor=carol, topic=topic)
        make_reply(session, topic=topic, author=bob, body="我也看到了")
        kinds = {n.kind for n in notifications.inbox(session, user=alice)}
        assert kinds == {"reply_topic"}
        assert [n.kind for n in notifications.inbox(session, user=carol)] == ["followed_topic"]
        make_reply(session, topic=topic, author=alice, parent_floor=2, body="谢谢 @社工小李 请关注")
        assert notifications.inbox(session, user=bob)[0].kind == "reply_floor"
        assert notifications.inbox(session, user=staff)[0].kind == "mention"
        assert notifications.unread_count(session, user=bob) == 1
        notifications.mark_read(session, user=bob)
        assert notifications.unread_count(session, user=bob) == 0

    def test_no_notification_for_own_reply(self, session, world):  # type: ignore[no-untyped-def]
        _b, alice, *_, topic = world
        make_reply(session, topic=topic, author=alice, body="自己顶一下 @七号楼老张")
        assert notifications.inbox(session, user=alice) == []


class TestModeration:
    @pytest.mark.parametrize("flag", ["is_pinned", "is_featured", "is_locked"])
    def test_residents_cannot_moderate(self, session, world, flag):  # type: ignore[no-untyped-def]
        _b, alice, *_, topic = world
        with pytest.raises(NotPermitted):
            service.set_topic_flag(session, actor=alice, topic=topic, flag=flag, value=True)

    def test_pinned_topics_come_first(self, session, world):  # type: ignore[no-untyped-def]
        board, _alice, bob, staff, topic = world
        newer = make_topic(session, board=board, author=bob, title="新帖")
        service.set_topic_flag(session, actor=staff, topic=topic, flag="is_pinned", value=True)
        session.commit()
        listing = queries.board_listing(session, board=board, viewer=None)
        assert [r.topic.id for r in listing.pinned] == [topic.id]
        assert [r.topic.id for r in listing.topics] == [newer.id]

    def test_move_topic_updates_board_counts(self, session, world):  # type: ignore[no-untyped-def]
        board, _a, bob, staff, topic = world
        make_reply(session, topic=topic, author=bob)
        other = make_board(session, "minqing", name="民情反映")
        service.move_topic(session, actor=staff, topic=topic, board=other)
        session.commit()
        session.refresh(board)
        session.refresh(other)
        assert (board.topic_count, board.post_count) == (0, 0)
        assert (other.topic_count, other.post_count) == (1, 2)

    def test_hidden_post_is_kept_for_staff_and_restorable(self, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, staff, topic = world
        post = make_reply(session, topic=topic, author=bob, body="广告广告")
        service.set_post_hidden(session, actor=staff, post=post, hidden=True)
        view = queries.topic_page(session, topic=topic, viewer=bob)
        assert view.floors[1].state == "hidden" and not view.floors[1].show_body
        service.set_post_hidden(session, actor=staff, post=post, hidden=False)
        assert queries.topic_page(session, topic=topic, viewer=bob).floors[1].state == "ok"

    def test_board_listing_pages_by_keyset(self, session, world):  # type: ignore[no-untyped-def]
        board, alice, *_ = world
        for i in range(7):
            make_topic(session, board=board, author=alice, title=f"话题{i}")
        seen: list[int] = []
        cursor = None
        while True:
            listing = queries.board_listing(session, board=board, viewer=None, cursor=cursor, limit=3)
            seen += [r.topic.id for r in listing.topics]
            cursor = listing.next_cursor
            if cursor is None:
                break
        all_ids = session.exec(select(Topic.id).where(Topic.board_id == board.id)).all()
        assert sorted(seen) == sorted(all_ids) and len(seen) == len(set(seen)) == 8

    def test_bad_cursor_is_invalid(self, session, world):  # type: ignore[no-untyped-def]
        board, *_ = world
        for cursor in ("!!!", "abc", keyset.encode_cursor(1, 2, 3)):
            with pytest.raises(Invalid):
                queries.board_listing(session, board=board, viewer=None, cursor=cursor)


def test_post_count_matches_rows(session, world):  # type: ignore[no-untyped-def]
    board, _a, bob, _s, topic = world
    for _ in range(3):
        make_reply(session, topic=topic, author=bob)
    session.refresh(board)
    assert board.post_count == len(session.exec(select(Post.id)).all()) == 4
