"""The weight of a 举报 (forum.moderation.weight): the rule on its own, then what it reads from the
database, then what it means for the auto-hide: fresh accounts cannot silence a resident, trusted
neighbours and staff can, and a reporter staff have overruled before counts for less."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.boards.models import Post
from forum.moderation import queries, service, weight
from forum.moderation.models import ModerationAction, ReportedPost
from forum.moderation.weight import Standing
from moderation.helpers import established, newcomer

DAY = timedelta(days=1)


def standing(**kw: object) -> Standing:
    """An established, verified resident with a clean record, changed by `kw`."""
    values: dict[str, object] = {
        "is_staff": False,
        "is_active": True,
        "account_age": 400 * DAY,
        "verified": True,
        "visible_posts": 10,
        "upheld": 0,
        "dismissed": 0,
    }
    values.update(kw)
    return Standing(**values)  # type: ignore[arg-type]


class TestTheRule:
    @pytest.mark.parametrize(
        ("kw", "expected"),
        [
            ({}, 1.0),
            ({"account_age": timedelta(minutes=10), "verified": False, "visible_posts": 0}, 0.1),
            ({"account_age": 8 * DAY, "verified": False, "visible_posts": 3}, 0.35),
            ({"verified": False}, 0.6),
            ({"visible_posts": 3}, 0.9),
            ({"account_age": 3 * DAY}, 0.7),
        ],
    )
    def test_age_household_and_posts_add_up_to_one(self, kw, expected):  # type: ignore[no-untyped-def]
        assert weight.weight(standing(**kw)) == expected

    def test_staff_count_fully_even_on_a_new_account(self):  # type: ignore[no-untyped-def]
        fresh = standing(is_staff=True, account_age=timedelta(minutes=5), verified=False, visible_posts=0)
        assert weight.weight(fresh) == 1.0

    def test_a_banned_account_counts_for_nothing(self):  # type: ignore[no-untyped-def]
        assert weight.weight(standing(is_active=False)) == 0.0
        assert weight.weight(standing(is_active=False, is_staff=True)) == 0.0

    @pytest.mark.parametrize(("dismissed", "expected"), [(1, 0.67), (2, 0.5), (4, 0.33), (8, 0.2)])
    def test_dismissed_reports_shrink_the_weight(self, dismissed, expected):  # type: ignore[no-untyped-def]
        assert weight.weight(standing(dismissed=dismissed)) == expected

    def test_upheld_reports_offset_dismissed_ones_and_raise_a_lighter_reporter(self):  # type: ignore[no-untyped-def]
        assert weight.weight(standing(dismissed=2, upheld=2)) == 1.0
        assert weight.weight(standing(dismissed=3, upheld=1)) == 0.5
        unverified = standing(verified=False)
        assert weight.weight(unverified) == 0.6
        assert weight.weight(standing(verified=False, upheld=1)) == 0.7
        assert weight.weight(standing(verified=False, upheld=5)) == 0.8  # at most +0.2
        assert weight.weight(standing(upheld=5)) == 1.0  # never above one


@pytest.fixture
def street(session):  # type: ignore[no-untyped-def]
    """A long-standing resident's reply in 社区议事, and staff to decide on reports."""
    board = make_board(session, "yishi")
    elder = established(session, "七号楼老张")
    topic = make_topic(session, board=board, author=elder, title="7号楼停车", body="大家说说")
    reply = make_reply(session, topic=topic, author=elder, body="物业这个月又没打扫楼道")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    return board, topic, reply, staff


def auto_hide_rows(session) -> list[ModerationAction]:  # type: ignore[no-untyped-def]
    return list(session.exec(select(ModerationAction).where(ModerationAction.action == "auto_hide")).all())


class TestStandingFromTheDatabase:
    def test_household_posts_age_and_record_are_read(self, session, street):  # type: ignore[no-untyped-def]
        old = established(session, "八号楼李姐", posts=3, verified=False, days=40)
        young = newcomer(session, "新来的")
        mod = make_user(session, "网格员小周", role=RoleName.GRID_WORKER)
        found = weight.standings(session, [old, young, mod])
        assert found[old.id].visible_posts == 3 and not found[old.id].verified  # type: ignore[index]
        assert found[old.id].account_age > 39 * DAY  # type: ignore[index]
        assert found[young.id].account_age < timedelta(hours=1)  # type: ignore[index]
        assert found[mod.id].is_staff and not found[old.id].is_staff  # type: ignore[index]
        assert weight.weights(session, [old, young, mod]) == {old.id: 0.5, young.id: 0.1, mod.id: 1.0}

    def test_hidden_posts_do_not_count_as_history(self, session, street):  # type: ignore[no-untyped-def]
        *_, staff = street
        poster = established(session, "爱发帖的", posts=3, verified=False)
        post = session.exec(select(Post).where(Post.author_id == poster.id).order_by(col(Post.id))).all()[-1]
        boards.set_post_hidden(session, actor=staff, post=post, hidden=True)
        assert weight.standings(session, [poster])[poster.id].visible_posts == 2  # type: ignore[index]

    def test_decided_reports_are_the_record(self, session, street):  # type: ignore[no-untyped-def]
        _, topic, reply, staff = street
        reporter = established(session, "豆豆妈")
        others = [make_reply(session, topic=topic, author=staff, body=f"通知{i}") for i in range(3)]
        for post, decision in zip(others, ("dismiss", "dismiss", "delete"), strict=True):
            service.report_post(session, actor=reporter, post=post, reason="ad")
            service.decide(session, actor=staff, post=post, action=decision)
        service.report_post(session, actor=reporter, post=reply, reason="ad")  # open: not yet a record
        found = weight.standings(session, [reporter])[reporter.id]  # type: ignore[index]
        assert (found.dismissed, found.upheld) == (2, 1)
        assert weight.weights(session, [reporter]) == {reporter.id: 0.67}


class TestAutoHideByWeight:
    def test_three_new_accounts_cannot_hide_a_long_standing_residents_reply(self, session, street):  # type: ignore[no-untyped-def]
        *_, reply, staff = street
        crowd = [
            newcomer(session, "水军1", minutes=10),
            newcomer(session, "水军2"),
            newcomer(session, "水军3"),
        ]
        for who in crowd:
            service.report_post(session, actor=who, post=reply, reason="abuse", hide_threshold=3)
        session.commit()
        assert reply.hidden_at is None and auto_hide_rows(session) == []
        reported = session.get(ReportedPost, reply.id)
        assert reported is not None and reported.open_reports == 3 and reported.auto_hidden_at is None
        item = queries.queue(session, actor=staff).items[0]
        assert len(item.reports) == 3 and item.weight == 0.3

    def test_three_established_verified_residents_can(self, session, street):  # type: ignore[no-untyped-def]
        *_, reply, staff = street
        neighbours = [established(session, name) for name in ("八号楼李姐", "豆豆妈", "王大爷")]
        for who in neighbours[:2]:
            service.report_post(session, actor=who, post=reply, reason="abuse", hide_threshold=3)
        assert reply.hidden_at is None
        service.report_post(session, actor=neighbours[2], post=reply, reason="abuse", hide_threshold=3)
        session.commit()
        assert reply.hidden_at is not None
        [row] = auto_hide_rows(session)
        assert row.details == "3 人举报，权重合计 3（阈值 3），待审核"
        assert queries.queue(session, actor=staff).items[0].weight == 3.0

    def test_new_accounts_add_a_little_to_trusted_reports(self, session, street):  # type: ignore[no-untyped-def]
        *_, reply, _ = street
        for name in ("八号楼李姐", "豆豆妈"):
            service.report_post(session, actor=established(session, name), post=reply, reason="ad")
        for i in range(9):
            service.report_post(session, actor=newcomer(session, f"新号{i}"), post=reply, reason="ad")
            assert reply.hidden_at is None
        service.report_post(session, actor=newcomer(session, "新号9"), post=reply, reason="ad")
        assert reply.hidden_at is not None
        [row] = auto_hide_rows(session)
        assert row.details.startswith("12 人举报，权重合计 3（")

    def test_staff_count_fully(self, session, street):  # type: ignore[no-untyped-def]
        *_, reply, staff = street
        reporters = [
            staff,
            make_user(session, "网格员小周", role=RoleName.GRID_WORKER),
            make_user(session, "管理员", role=RoleName.ADMIN),
        ]
        for who in reporters:
            service.report_post(session, actor=who, post=reply, reason="privacy", hide_threshold=3)
        assert reply.hidden_at is not None
        assert auto_hide_rows(session)[0].details == "3 人举报，权重合计 3（阈值 3），待审核"

    def test_a_reporter_staff_overruled_cannot_hide_with_two_friends(self, session, street):  # type: ignore[no-untyped-def]
        _, topic, reply, staff = street
        grudge = established(session, "爱举报的")
        friends = [established(session, name) for name in ("朋友甲", "朋友乙")]
        # Earlier reports of the same kind, each found to be nothing wrong.
        for i in range(2):
            earlier = make_reply(session, topic=topic, author=staff, body=f"第{i + 1}次停车协调会纪要")
            service.report_post(session, actor=grudge, post=earlier, reason="false_info")
            service.decide(session, actor=staff, post=earlier, action="dismiss", reason="正常通知")
        for who in (grudge, *friends):
            service.report_post(session, actor=who, post=reply, reason="false_info", hide_threshold=3)
        session.commit()
        assert reply.hidden_at is None and auto_hide_rows(session) == []
        assert queries.queue(session, actor=staff).items[0].weight == 2.5
        # A third trusted neighbour tips it: the post is not beyond reach, just not theirs to hide.
        service.report_post(session, actor=established(session, "王大爷"), post=reply, reason="false_info")
        assert reply.hidden_at is not None

    def test_the_threshold_is_a_parameter(self, session, street):  # type: ignore[no-untyped-def]
        *_, reply, _ = street
        service.report_post(
            session, actor=established(session, "八号楼李姐"), post=reply, reason="ad", hide_threshold=1
        )
        assert reply.hidden_at is not None
