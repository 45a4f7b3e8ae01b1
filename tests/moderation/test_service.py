"""Moderation rules called directly: reports, auto-hide, the queue's decisions, warnings, mutes,
bans and the audit log (including the boards' and accounts' own moderator actions)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from factories import make_board, make_reply, make_topic, make_user
from forum.accounts import service as accounts
from forum.accounts.models import LoginSession, RoleName
from forum.boards import service as boards
from forum.errors import Conflict, Invalid, NotAuthenticated, NotFound, NotPermitted
from forum.moderation import queries, service
from forum.moderation.errors import Muted
from forum.moderation.models import ModerationAction, Report, ReportedPost
from forum.notifications.models import Notification
from forum.timeutil import utcnow
from moderation.helpers import established


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    author = make_user(session, "卖发票的")
    residents = [make_user(session, f"居民{i}") for i in range(4)]
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    admin = make_user(session, "管理员", role=RoleName.ADMIN)
    topic = make_topic(session, board=board, author=residents[0], title="7号楼停车", body="大家说说")
    post = make_reply(session, topic=topic, author=author, body="代开发票，加微信 fapiao888")
    return author, residents, staff, admin, topic, post


def audit_actions(session) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.exec(select(ModerationAction.action).order_by(col(ModerationAction.id))).all())


class TestReport:
    def test_member_reports_a_post_and_it_enters_the_queue(self, session, world):  # type: ignore[no-untyped-def]
        _author, residents, staff, *_, post = world
        report = service.report_post(session, actor=residents[1], post=post, reason="ad", text="广告")
        session.commit()
        assert report.resolved_at is None and report.reason == "ad"
        listing = queries.queue(session, actor=staff)
        assert [i.post.id for i in listing.items] == [post.id]
        item = listing.items[0]
        assert item.reported.open_reports == 1 and item.reasons == [("ad", 1)]
        assert [u.username for _, u in item.reports] == ["居民1"]

    def test_second_open_report_by_the_same_member_is_409(self, session, world):  # type: ignore[no-untyped-def]
        _, residents, *_, post = world
        service.report_post(session, actor=residents[1], post=post, reason="ad")
        with pytest.raises(Conflict, match="已经举报过"):
            service.report_post(session, actor=residents[1], post=post, reason="abuse")
        assert len(session.exec(select(Report)).all()) == 1

    def test_own_post_cannot_be_reported(self, session, world):  # type: ignore[no-untyped-def]
        author, *_, post = world
        with pytest.raises(NotPermitted, match="自己"):
            service.report_post(session, actor=author, post=post, reason="ad")

    def test_visitor_must_log_in(self, session, world):  # type: ignore[no-untyped-def]
        *_, post = world
        with pytest.raises(NotAuthenticated):
            service.report_post(session, actor=None, post=post, reason="ad")

    @pytest.mark.parametrize(
        ("reason", "text", "field"),
        [("spam", "", "reason"), ("", "", "reason"), ("other", "  ", "text"), ("abuse", "字" * 201, "text")],
    )
    def test_bad_reason_or_text_is_refused(self, session, world, reason, text, field):  # type: ignore[no-untyped-def]
        _, residents, *_, post = world
        with pytest.raises(Invalid) as exc:
            service.report_post(session, actor=residents[1], post=post, reason=reason, text=text)
        assert exc.value.field == field

    def test_other_with_text_is_accepted(self, session, world):  # type: ignore[no-untyped-def]
        _, residents, *_, post = world
        report = service.report_post(session, actor=residents[1], post=post, reason="other", text="刷屏")
        assert report.text == "刷屏"

    def test_deleted_or_hidden_post_is_404(self, session, world):  # type: ignore[no-untyped-def]
        author, residents, staff, *_, post = world
        boards.set_post_hidden(session, actor=staff, post=post, hidden=True)
        with pytest.raises(NotFound):
            service.report_post(session, actor=residents[1], post=post, reason="ad")
        boards.set_post_hidden(session, actor=staff, post=post, hidden=False)
        boards.delete_post(session, actor=author, post=post)
        with pytest.raises(NotFound):
            service.report_post(session, actor=residents[1], post=post, reason="ad")

    def test_after_a_decision_the_member_may_report_again(self, session, world):  # type: ignore[no-untyped-def]
        _, residents, staff, *_, post = world
        service.report_post(session, actor=residents[1], post=post, reason="ad")
        service.decide(session, actor=staff, post=post, action="dismiss")
        service.report_post(session, actor=residents[1], post=post, reason="ad")
        assert session.get(ReportedPost, post.id).open_reports == 1  # type: ignore[union-attr]


@pytest.fixture
def neighbours(session):  # type: ignore[no-untyped-def]
    """Three long-standing residents with verified households: each report weighs 1."""
    return [established(session, name) for name in ("七号楼老张", "八号楼李姐", "豆豆妈")]


class TestAutoHide:
    """Who may hide a post by reporting it is in test_weight.py; here, what the hide does."""

    def test_reports_of_enough_weight_hide_the_post(self, session, world, neighbours):  # type: ignore[no-untyped-def]
        author, *_, post = world
        for who in neighbours[:2]:
            service.report_post(session, actor=who, post=post, reason="ad", hide_threshold=3)
        assert post.hidden_at is None
        service.report_post(session, actor=neighbours[2], post=post, reason="privacy", hide_threshold=3)
        session.commit()
        assert post.hidden_at is not None
        reported = session.get(ReportedPost, post.id)
        assert reported is not None and reported.auto_hidden_at is not None and reported.open_reports == 3
        row = session.exec(select(ModerationAction).where(ModerationAction.action == "auto_hide")).one()
        assert row.moderator_id is None and row.post_id == post.id and row.target_user_id == author.id
        assert row.details == "3 人举报，权重合计 3（阈值 3），待审核"

    def test_repeat_reports_by_one_member_do_not_count_twice(self, session, world, neighbours):  # type: ignore[no-untyped-def]
        *_, post = world
        service.report_post(session, actor=neighbours[1], post=post, reason="ad", hide_threshold=2)
        with pytest.raises(Conflict):
            service.report_post(session, actor=neighbours[1], post=post, reason="ad", hide_threshold=2)
        assert post.hidden_at is None

    def test_auto_hidden_posts_come_first_in_the_queue(self, session, world, neighbours):  # type: ignore[no-untyped-def]
        author, _residents, staff, _, topic, post = world
        older = make_reply(session, topic=topic, author=author, body="另一条")
        service.report_post(session, actor=neighbours[1], post=older, reason="abuse", hide_threshold=2)
        for who in neighbours[1:3]:
            service.report_post(session, actor=who, post=post, reason="ad", hide_threshold=2)
        assert [i.post.id for i in queries.queue(session, actor=staff).items] == [post.id, older.id]

    def test_dismissing_restores_an_auto_hidden_post(self, session, world, neighbours):  # type: ignore[no-untyped-def]
        _, _residents, staff, *_, post = world
        for who in neighbours[1:3]:
            service.report_post(session, actor=who, post=post, reason="ad", hide_threshold=2)
        assert post.hidden_at is not None
        service.decide(session, actor=staff, post=post, action="dismiss", reason="正常讨论")
        assert post.hidden_at is None
        assert session.get(ReportedPost, post.id) is None
        reports = session.exec(select(Report)).all()
        assert {(r.resolution, r.resolved_by_id) for r in reports} == {("dismissed", staff.id)}

    def test_confirming_keeps_it_hidden_and_clears_the_queue(self, session, world, neighbours):  # type: ignore[no-untyped-def]
        _, _residents, staff, *_, post = world
        for who in neighbours[1:3]:
            service.report_post(session, actor=who, post=post, reason="ad", hide_threshold=2)
        assert post.hidden_at is not None
        service.decide(session, actor=staff, post=post, action="hide")
        assert post.hidden_at is not None and queries.queue(session, actor=staff).items == []

    def test_auto_hidden_first_floor_hides_the_topic(self, session, world, neighbours):  # type: ignore[no-untyped-def]
        _author, residents, _staff, _, topic, _ = world
        first = boards.first_post(session, topic)
        for who in neighbours[:2]:
            service.report_post(session, actor=who, post=first, reason="false_info", hide_threshold=2)
        assert topic.hidden_at is not None
        with pytest.raises(NotFound):
            boards.get_topic(session, topic.id, viewer=residents[2])  # type: ignore[arg-type]


class TestDecide:
    def test_hide_keeps_the_text_and_records_who_and_why(self, session, world):  # type: ignore[no-untyped-def]
        _author, residents, staff, *_, post = world
        service.report_post(session, actor=residents[1], post=post, reason="ad")
        result = service.decide(session, actor=staff, post=post, action="hide", reason="商业广告")
        assert result == "已隐藏该内容"
        assert post.hidden_at is not None and post.body.startswith("代开发票")
        row = session.exec(select(ModerationAction)).one()
        assert (row.action, row.moderator_id, row.reason, row.post_id) == (
            "hide_post",
            staff.id,
            "商业广告",
            post.id,
        )
        assert session.exec(select(Report)).one().resolution == "hidden"

    def test_delete_is_a_soft_delete(self, session, world):  # type: ignore[no-untyped-def]
        _, residents, staff, _, topic, post = world
        service.report_post(session, actor=residents[1], post=post, reason="ad")
        service.decide(session, actor=staff, post=post, action="delete", reason="广告")
        assert post.deleted_at is not None and post.body
        session.refresh(topic)
        assert topic.reply_count == 0
        assert audit_actions(session) == ["delete_post"]
        assert session.exec(select(Report)).one().resolution == "deleted"

    def test_dismiss_without_open_reports_is_a_conflict(self, session, world):  # type: ignore[no-untyped-def]
        *_, staff, _, _, post = world
        with pytest.raises(Conflict):
            service.decide(session, actor=staff, post=post, action="dismiss")

    def test_warn_mute_and_ban_leave_the_reports_open(self, session, world):  # type: ignore[no-untyped-def]
        author, residents, staff, *_, post = world
        service.report_post(session, actor=residents[1], post=post, reason="ad")
        service.decide(session, actor=staff, post=post, action="warn", reason="请勿发广告")
        service.decide(session, actor=staff, post=post, action="mute", days=7, reason="屡次发广告")
        assert author.muted_until is not None
        assert session.get(ReportedPost, post.id) is not None
        kinds = session.exec(select(Notification.kind).where(Notification.user_id == author.id)).all()
        assert sorted(kinds) == ["mod_muted", "mod_warning"]
        assert audit_actions(session) == ["warn", "mute"]

    def test_residents_cannot_decide(self, session, world):  # type: ignore[no-untyped-def]
        _, residents, *_, post = world
        service.report_post(session, actor=residents[1], post=post, reason="ad")
        with pytest.raises(NotPermitted):
            service.decide(session, actor=residents[2], post=post, action="hide")
        with pytest.raises(NotPermitted):
            queries.queue(session, actor=residents[2])

    @pytest.mark.parametrize(("action", "days"), [("explode", None), ("mute", 2), ("mute", None)])
    def test_unknown_action_or_bad_mute_length_is_refused(self, session, world, action, days):  # type: ignore[no-untyped-def]
        *_, staff, _, _, post = world
        with pytest.raises(Invalid):
            service.decide(session, actor=staff, post=post, action=action, days=days)

    def test_overlong_reason_is_refused(self, session, world):  # type: ignore[no-untyped-def]
        *_, staff, _, _, post = world
        with pytest.raises(Invalid, match="200"):
            service.decide(session, actor=staff, post=post, action="hide", reason="长" * 201)
        assert post.hidden_at is None


class TestSanctions:
    def test_warning_needs_a_reason(self, session, world):  # type: ignore[no-untyped-def]
        author, _, staff, *_ = world
        with pytest.raises(Invalid, match="理由"):
            service.warn_user(session, actor=staff, target=author, reason=" ")

    def test_mute_blocks_writing_with_the_end_time_then_ends(self, session, world):  # type: ignore[no-untyped-def]
        author, _, staff, _, topic, post = world
        service.mute_user(session, actor=staff, target=author, days=3)
        with pytest.raises(Muted, match="禁言至") as exc:
            boards.reply(session, actor=author, topic=topic, body="我又来了")
        assert exc.value.status_code == 403 and "北京时间" in exc.value.message
        with pytest.raises(Muted):
            boards.like(session, actor=author, post=boards.first_post(session, topic))
        with pytest.raises(Muted):
            boards.edit_post(session, actor=author, post=post, body="改一改")
        # Reading is still fine.
        assert boards.get_topic(session, topic.id, viewer=author) is topic  # type: ignore[arg-type]
        author.muted_until = utcnow() - timedelta(seconds=1)
        boards.reply(session, actor=author, topic=topic, body="禁言结束了")

    def test_unmute(self, session, world):  # type: ignore[no-untyped-def]
        author, _, staff, _, topic, _ = world
        service.mute_user(session, actor=staff, target=author, days=1)
        service.unmute_user(session, actor=staff, target=author, reason="误操作")
        boards.reply(session, actor=author, topic=topic, body="可以说话了")
        with pytest.raises(Conflict):
            service.unmute_user(session, actor=staff, target=author)
        assert audit_actions(session) == ["mute", "unmute"]

    def test_ban_ends_every_session_and_token_at_once(self, session, world):  # type: ignore[no-untyped-def]
        author, _, staff, *_ = world
        web, _ = accounts.start_session(session, user=author, kind="web", days=1)
        api, _ = accounts.start_session(session, user=author, kind="api", days=1)
        service.ban_user(session, actor=staff, target=author, reason="广告机器人")
        assert accounts.user_for_token(session, token=web, kind="web") is None
        assert accounts.user_for_token(session, token=api, kind="api") is None
        assert session.exec(select(LoginSession).where(LoginSession.user_id == author.id)).all() == []
        with pytest.raises(NotAuthenticated, match="停用"):
            accounts.authenticate(session, username=author.username, password="correct-horse-42")
        service.unban_user(session, actor=staff, target=author)
        assert accounts.authenticate(session, username=author.username, password="correct-horse-42")
        assert audit_actions(session) == ["ban", "unban"]

    def test_nobody_sanctions_themselves_or_an_admin(self, session, world):  # type: ignore[no-untyped-def]
        _, _, staff, admin, *_ = world
        with pytest.raises(NotPermitted):
            service.ban_user(session, actor=staff, target=staff)
        with pytest.raises(NotPermitted):
            service.mute_user(session, actor=staff, target=admin, days=1)

    def test_only_an_admin_sanctions_staff(self, session, world):  # type: ignore[no-untyped-def]
        _, _, staff, admin, *_ = world
        other = make_user(session, "社工小王", role=RoleName.STAFF)
        with pytest.raises(NotPermitted, match="管理员"):
            service.mute_user(session, actor=other, target=staff, days=1)
        service.mute_user(session, actor=admin, target=staff, days=1)

    def test_residents_cannot_sanction(self, session, world):  # type: ignore[no-untyped-def]
        author, residents, *_ = world
        with pytest.raises(NotPermitted):
            service.sanction(session, actor=residents[1], target_id=author.id, action="ban")  # type: ignore[arg-type]

    def test_sanctioned_users_lists_muted_and_banned(self, session, world):  # type: ignore[no-untyped-def]
        author, residents, staff, *_ = world
        service.mute_user(session, actor=staff, target=author, days=1)
        service.ban_user(session, actor=staff, target=residents[3])
        names = {u.username for u in queries.sanctioned_users(session, actor=staff)}
        assert names == {author.username, residents[3].username}


class TestAudit:
    def test_board_moderation_is_recorded(self, session, world):  # type: ignore[no-untyped-def]
        _author, _residents, staff, _, topic, post = world
        other = make_board(session, "ershou", name="跳蚤市场")
        for flag in ("is_pinned", "is_featured", "is_locked"):
            boards.set_topic_flag(session, actor=staff, topic=topic, flag=flag, value=True)
            boards.set_topic_flag(session, actor=staff, topic=topic, flag=flag, value=False)
        boards.move_topic(session, actor=staff, topic=topic, board=other)
        boards.set_post_hidden(session, actor=staff, post=post, hidden=True)
        boards.set_post_hidden(session, actor=staff, post=post, hidden=False)
        boards.delete_post(session, actor=staff, post=post)
        assert audit_actions(session) == [
            "pin",
            "unpin",
            "feature",
            "unfeature",
            "lock",
            "unlock",
            "move_topic",
            "hide_post",
            "restore_post",
            "delete_post",
        ]
        move = session.exec(select(ModerationAction).where(ModerationAction.action == "move_topic")).one()
        assert move.details == "社区议事 → 跳蚤市场" and move.moderator_id == staff.id

    def test_authors_deleting_their_own_posts_is_not_moderation(self, session, world):  # type: ignore[no-untyped-def]
        author, *_, post = world
        boards.delete_post(session, actor=author, post=post)
        assert audit_actions(session) == []

    def test_role_changes_and_household_reviews_are_recorded(self, session, world):  # type: ignore[no-untyped-def]
        _author, residents, staff, admin, *_ = world
        accounts.set_role(session, actor=admin, user_id=residents[1].id, role=RoleName.VOLUNTEER)  # type: ignore[arg-type]
        household = accounts.request_household(
            session, actor=residents[2], building="7", unit="2", room="301"
        )
        accounts.review_household(session, actor=staff, household_id=household.id, approve=True)  # type: ignore[arg-type]
        rows = session.exec(select(ModerationAction).order_by(col(ModerationAction.id))).all()
        assert [(r.action, r.target_user_id) for r in rows] == [
            ("set_role", residents[1].id),
            ("approve_household", residents[2].id),
        ]
        assert rows[0].details == "居民 → 民情信息员"

    def test_log_is_newest_first_filtered_and_paged(self, session, world):  # type: ignore[no-untyped-def]
        author, _residents, staff, admin, topic, _post = world
        for _ in range(3):
            boards.set_topic_flag(session, actor=staff, topic=topic, flag="is_pinned", value=True)
        service.mute_user(session, actor=admin, target=author, days=1)
        session.commit()
        entries, more = queries.audit_log(session, actor=admin, limit=2)
        assert [e.row.action for e in entries] == ["mute", "pin"] and more == entries[-1].row.id
        rest, more = queries.audit_log(session, actor=admin, limit=2, before=more)
        assert [e.row.action for e in rest] == ["pin", "pin"] and more is None
        mine, _ = queries.audit_log(session, actor=admin, moderator_id=staff.id)
        assert {e.moderator for e in mine} == {"社工小李"} and len(mine) == 3
        mutes, _ = queries.audit_log(session, actor=admin, action="mute")
        assert [(e.moderator, e.target) for e in mutes] == [("管理员", "卖发票的")]

    def test_log_is_for_admins(self, session, world):  # type: ignore[no-untyped-def]
        _, residents, staff, *_ = world
        for who in (residents[0], staff):
            with pytest.raises(NotPermitted):
                queries.audit_log(session, actor=who)
