"""Moderation through the pages and the JSON API: the 举报 form, the staff queue, mutes and bans
enforced on every write, the audit log, and the errors for each bad request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from factories import api_token, form_post, login, make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName, User
from forum.boards.models import Post, PostLike, Topic
from forum.moderation import service
from forum.moderation.models import ModerationAction, Report
from forum.timeutil import utcnow

HIDDEN = "该内容已被管理员隐藏"


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    owner = make_user(session, "七号楼老张")
    spammer = make_user(session, "卖发票的")
    reporter = make_user(session, "jiayuan_mama")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    admin = make_user(session, "管理员", role=RoleName.ADMIN)
    topic = make_topic(session, board=board, author=owner)
    post = make_reply(session, topic=topic, author=spammer, body="代开发票，加微信 fapiao888")
    return board, topic, post, spammer, reporter, staff, admin


def _reload(session, model, key):  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(model, key)


class TestReportForm:
    def test_report_link_on_other_peoples_floors_only(self, client, world):  # type: ignore[no-untyped-def]
        _, topic, post, _spammer, *_ = world
        login(client, "jiayuan_mama")
        html = client.get(f"/t/{topic.id}").text
        assert f"/p/{post.id}/report" in html
        client.cookies.clear()
        login(client, "卖发票的")
        assert f"/p/{post.id}/report" not in client.get(f"/t/{topic.id}").text

    def test_visitor_is_sent_to_log_in(self, client, world):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        response = client.get(f"/p/{post.id}/report", follow_redirects=False)
        assert response.status_code == 303 and "/login?next=" in response.headers["location"]
        assert form_post(client, f"/p/{post.id}/report", {"reason": "ad"}).status_code == 401

    @pytest.mark.parametrize("htmx", [False, True])
    def test_report_then_thanks(self, client, session, world, htmx):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        login(client, "jiayuan_mama")
        page = client.get(f"/p/{post.id}/report")
        assert page.status_code == 200 and "泄露隐私" in page.text and "代开发票" in page.text
        headers = {"HX-Request": "true"} if htmx else {}
        response = form_post(
            client, f"/p/{post.id}/report", {"reason": "ad", "text": "发票广告"}, headers=headers
        )
        if htmx:
            assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("?done=1")
        else:
            assert response.status_code == 303 and response.headers["location"].endswith("?done=1")
        assert "举报已提交" in client.get(f"/p/{post.id}/report?done=1").text
        report = session.exec(select(Report)).one()
        assert (report.reason, report.text) == ("ad", "发票广告")

    def test_duplicate_report_comes_back_with_a_kind_409(self, client, session, world):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        login(client, "jiayuan_mama")
        assert form_post(client, f"/p/{post.id}/report", {"reason": "ad"}).status_code == 303
        again = form_post(client, f"/p/{post.id}/report", {"reason": "abuse"})
        assert again.status_code == 409 and "你已经举报过这条内容" in again.text
        assert len(session.exec(select(Report)).all()) == 1

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"reason": "other", "text": ""}, "请写明举报理由"),
            ({"reason": "nonsense"}, "请选择举报理由"),
            ({}, "请选择举报理由"),
            ({"reason": "ad", "text": "字" * 201}, "200"),
        ],
    )
    def test_bad_input_re_shows_the_form_with_the_reason(self, client, session, world, data, message):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        login(client, "jiayuan_mama")
        response = form_post(client, f"/p/{post.id}/report", data)
        assert response.status_code == 400 and message in response.text
        assert 'data-testid="report-form"' in response.text
        assert session.exec(select(Report)).all() == []

    def test_overlong_field_is_a_422_page_not_a_500(self, client, world):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        login(client, "jiayuan_mama")
        response = form_post(client, f"/p/{post.id}/report", {"reason": "ad", "text": "x" * 5000})
        assert response.status_code == 422 and "提交的内容格式不正确" in response.text

    def test_own_post_is_refused(self, client, world):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        login(client, "卖发票的")
        response = form_post(client, f"/p/{post.id}/report", {"reason": "ad"})
        assert response.status_code == 403 and "不能举报自己发布的内容" in response.text

    def test_missing_post_is_404(self, client, world):  # type: ignore[no-untyped-def]
        login(client, "jiayuan_mama")
        assert client.get("/p/999999/report").status_code == 404


class TestQueuePages:
    def test_queue_audit_and_user_pages_are_staff_only(self, client, world):  # type: ignore[no-untyped-def]
        *_, spammer, _, _, _ = world
        for url in ("/mod", "/mod/users", f"/mod/users/{spammer.id}", "/mod/audit"):
            assert client.get(url).status_code == 401, url
        login(client, "jiayuan_mama")
        for url in ("/mod", "/mod/users", f"/mod/users/{spammer.id}", "/mod/audit"):
            response = client.get(url)
            assert response.status_code == 403 and "没有权限" in response.text, url
        assert form_post(client, f"/mod/users/{spammer.id}", {"action": "ban"}).status_code == 403
        client.cookies.clear()
        login(client, "社工小李")
        assert client.get("/mod/audit").status_code == 403  # the audit log is for admins

    @pytest.mark.parametrize("htmx", [False, True])
    def test_staff_hide_from_the_queue_and_the_floor_says_so(  # type: ignore[no-untyped-def]
        self, client, make_client, session, world, htmx
    ):
        _, topic, post, _, reporter, _staff, _ = world
        service.report_post(session, actor=reporter, post=post, reason="ad", text="发票广告")
        session.commit()
        login(client, "社工小李")
        queue = client.get("/mod")
        assert queue.status_code == 200 and "代开发票" in queue.text and "1 人举报" in queue.text
        assert "jiayuan_mama" in queue.text and "广告 × 1" in queue.text
        assert "权重 0.1" in queue.text  # a new account's report (forum.moderation.weight)
        headers = {"HX-Request": "true"} if htmx else {}
        response = form_post(
            client, f"/mod/posts/{post.id}", {"action": "hide", "reason": "商业广告"}, headers=headers
        )
        assert response.status_code == (204 if htmx else 303)
        assert "没有待处理的举报" in client.get("/mod").text
        resident = make_client()
        login(resident, "jiayuan_mama")
        html = resident.get(f"/t/{topic.id}").text
        assert HIDDEN in html and "代开发票" not in html
        # Staff still read the text.
        assert "代开发票" in client.get(f"/t/{topic.id}").text

    def test_bad_decision_re_shows_the_queue_with_the_reason(self, client, session, world):  # type: ignore[no-untyped-def]
        _, _, post, _, reporter, *_ = world
        service.report_post(session, actor=reporter, post=post, reason="ad")
        session.commit()
        login(client, "社工小李")
        response = form_post(client, f"/mod/posts/{post.id}", {"action": "warn", "reason": ""})
        assert response.status_code == 400 and "请写明警告的理由" in response.text
        assert session.exec(select(ModerationAction)).all() == []
        response = form_post(client, f"/mod/posts/{post.id}", {"action": "mute", "days": "99"})
        assert response.status_code == 422

    def test_mute_and_unban_from_the_user_page(self, client, session, world):  # type: ignore[no-untyped-def]
        *_, spammer, _, _, _ = world
        login(client, "社工小李")
        assert (
            form_post(client, f"/mod/users/{spammer.id}", {"action": "mute", "days": "7"}).status_code == 303
        )
        page = client.get(f"/mod/users/{spammer.id}")
        assert "禁言至" in page.text and "解除禁言" in page.text and "禁言 7 天" in page.text
        assert "卖发票的" in client.get("/mod/users").text
        assert form_post(client, f"/mod/users/{spammer.id}", {"action": "ban"}).status_code == 303
        assert "已封禁" in client.get(f"/mod/users/{spammer.id}").text
        assert form_post(client, f"/mod/users/{spammer.id}", {"action": "unban"}).status_code == 303
        assert _reload(session, User, spammer.id).is_active
        again = form_post(client, f"/mod/users/{spammer.id}", {"action": "unban"})
        assert again.status_code == 409 and "没有被封禁" in again.text

    def test_user_lookup(self, client, world):  # type: ignore[no-untyped-def]
        *_, spammer, _, _, _ = world
        login(client, "社工小李")
        found = client.get("/mod/users?username=卖发票的", follow_redirects=False)
        assert found.status_code == 303 and found.headers["location"].endswith(f"/mod/users/{spammer.id}")
        assert client.get("/mod/users?username=nobody_here").status_code == 404

    def test_admin_reads_and_filters_the_audit_log(self, client, session, world):  # type: ignore[no-untyped-def]
        _, topic, _post, spammer, _, staff, admin = world
        from forum.boards import service as boards

        boards.set_topic_flag(session, actor=staff, topic=topic, flag="is_pinned", value=True)
        service.mute_user(session, actor=admin, target=spammer, days=3, reason="发广告")
        session.commit()
        login(client, "管理员")
        html = client.get("/mod/audit").text.split("<tbody>")[1]
        assert html.index("禁言") < html.index("置顶") and "发广告" in html
        only_pins = client.get(f"/mod/audit?action=pin&moderator={staff.id}").text
        assert only_pins.count('data-testid="audit-row"') == 1
        assert client.get("/mod/audit?moderator=abc").status_code == 422
        assert 'data-testid="audit-row"' not in client.get("/mod/audit?action=nonsense").text


class TestMutedUser:
    def _muted(self, session, user, *, days=3):  # type: ignore[no-untyped-def]
        staff = session.exec(select(User).where(User.username == "社工小李")).one()
        service.mute_user(session, actor=staff, target=user, days=days)
        session.commit()
        return user.muted_until

    def test_pages_refuse_writing_with_the_end_time(self, client, session, world):  # type: ignore[no-untyped-def]
        board, topic, post, spammer, _reporter, *_ = world
        self._muted(session, spammer)
        login(client, "卖发票的")
        first = session.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == 1)).one()
        attempts = [
            (f"/b/{board.slug}/new", {"title": "新帖", "body": "内容"}),
            (f"/t/{topic.id}/reply", {"body": "再来一条"}),
            (f"/t/{topic.id}/reply", {"body": "楼中楼", "parent_floor": "1"}),
            (f"/p/{first.id}/like", {"on": "1"}),
            (f"/p/{first.id}/report", {"reason": "abuse"}),
            (f"/p/{post.id}/edit", {"body": "改掉"}),
        ]
        for url, data in attempts:
            response = form_post(client, url, data)
            assert response.status_code == 403, url
            assert "你已被禁言至" in response.text and "北京时间" in response.text, url
        session.expire_all()
        assert session.get(Topic, topic.id).reply_count == 1  # type: ignore[union-attr]
        assert session.exec(select(PostLike)).all() == [] and session.exec(select(Report)).all() == []
        # Reading still works.
        assert client.get(f"/t/{topic.id}").status_code == 200

    def test_allowed_again_after_the_mute_ends(self, client, session, world):  # type: ignore[no-untyped-def]
        _, topic, _, spammer, *_ = world
        self._muted(session, spammer)
        login(client, "卖发票的")
        assert form_post(client, f"/t/{topic.id}/reply", {"body": "还是不行"}).status_code == 403
        spammer = _reload(session, User, spammer.id)
        spammer.muted_until = utcnow() - timedelta(minutes=1)
        session.commit()
        assert form_post(client, f"/t/{topic.id}/reply", {"body": "禁言结束"}).status_code == 303

    def test_api_refuses_writing_with_the_end_time(self, client, session, world):  # type: ignore[no-untyped-def]
        board, topic, post, spammer, *_ = world
        headers = api_token(client, "卖发票的")
        self._muted(session, spammer)
        first = session.exec(select(Post).where(Post.topic_id == topic.id, Post.floor == 1)).one()
        calls = [
            ("post", f"/api/v1/boards/{board.id}/topics", {"title": "新帖", "body": "内容"}),
            ("post", f"/api/v1/topics/{topic.id}/replies", {"body": "再来"}),
            ("put", f"/api/v1/posts/{first.id}/like", None),
            ("post", f"/api/v1/posts/{first.id}/reports", {"reason": "abuse"}),
            ("patch", f"/api/v1/posts/{post.id}", {"body": "改掉"}),
        ]
        for method, url, body in calls:
            response = client.request(method, url, json=body, headers=headers)
            assert response.status_code == 403, url
            assert response.json()["detail"].startswith("你已被禁言至"), url
        assert client.get(f"/api/v1/topics/{topic.id}", headers=headers).status_code == 200


class TestBannedUser:
    def test_open_browser_session_and_api_token_stop_at_once(  # type: ignore[no-untyped-def]
        self, client, make_client, session, world
    ):
        _, topic, _, spammer, _, _staff, _ = world
        login(client, "卖发票的")
        headers = api_token(make_client(), "卖发票的")
        assert client.get("/notifications").status_code == 200
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200
        moderator = make_client()
        login(moderator, "社工小李")
        assert (
            form_post(moderator, f"/mod/users/{spammer.id}", {"action": "ban", "reason": "广告"}).status_code
            == 303
        )
        assert form_post(client, f"/t/{topic.id}/reply", {"body": "还想发"}).status_code == 401
        assert client.get("/notifications", follow_redirects=False).status_code == 303  # to the login page
        assert client.get("/api/v1/users/me", headers=headers).status_code == 401
        response = client.post(
            "/api/v1/tokens", json={"username": "卖发票的", "password": "correct-horse-42"}
        )
        assert response.status_code == 401 and "停用" in response.json()["detail"]


class TestApi:
    def test_report_201_then_409(self, client, world):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        headers = api_token(client, "jiayuan_mama")
        response = client.post(
            f"/api/v1/posts/{post.id}/reports",
            json={"reason": "privacy", "text": "有手机号"},
            headers=headers,
        )
        assert response.status_code == 201 and response.json()["reason"] == "privacy"
        again = client.post(f"/api/v1/posts/{post.id}/reports", json={"reason": "ad"}, headers=headers)
        assert again.status_code == 409 and again.json() == {
            "detail": "你已经举报过这条内容，管理员会尽快处理"
        }

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            ({"reason": "spam"}, 422),
            ({}, 422),
            ({"reason": "other"}, 422),
            ({"reason": "ad", "text": "x" * 1000}, 422),
            ({"reason": "ad", "text": "x" * 201}, 422),
        ],
    )
    def test_bad_reports_are_json_errors(self, client, session, world, body, status):  # type: ignore[no-untyped-def]
        _, _, post, *_ = world
        headers = api_token(client, "jiayuan_mama")
        response = client.post(f"/api/v1/posts/{post.id}/reports", json=body, headers=headers)
        assert response.status_code == status and "detail" in response.json()
        assert session.exec(select(Report)).all() == []

    def test_report_needs_a_token_and_a_visible_post(self, client, session, world):  # type: ignore[no-untyped-def]
        _, _, post, _, _reporter, staff, _ = world
        assert client.post(f"/api/v1/posts/{post.id}/reports", json={"reason": "ad"}).status_code == 401
        from forum.boards import service as boards

        boards.set_post_hidden(session, actor=staff, post=post, hidden=True)
        session.commit()
        headers = api_token(client, "jiayuan_mama")
        response = client.post(f"/api/v1/posts/{post.id}/reports", json={"reason": "ad"}, headers=headers)
        assert response.status_code == 404 and response.json()["detail"]

    def test_queue_and_decisions(self, client, session, world):  # type: ignore[no-untyped-def]
        _, _, post, _spammer, reporter, *_ = world
        service.report_post(session, actor=reporter, post=post, reason="ad", text="发票")
        session.commit()
        assert client.get("/api/v1/moderation/queue").status_code == 401
        resident = api_token(client, "jiayuan_mama")
        assert client.get("/api/v1/moderation/queue", headers=resident).status_code == 403
        staff = api_token(client, "社工小李")
        queue = client.get("/api/v1/moderation/queue", headers=staff).json()
        item = queue["items"][0]
        assert (item["post_id"], item["report_count"], item["reasons"]) == (post.id, 1, {"ad": 1})
        assert item["report_weight"] == 0.1 and item["auto_hidden"] is False
        assert item["reporters"][0]["username"] == "jiayuan_mama" and item["author"] == "卖发票的"
        # An action that is not one names no URL: 404, as any path that does not parse.
        assert client.post(f"/api/v1/moderation/posts/{post.id}/explode", headers=staff).status_code == 404
        assert client.post(f"/api/v1/moderation/posts/{post.id}/hide", headers=resident).status_code == 403
        done = client.post(
            f"/api/v1/moderation/posts/{post.id}/dismiss", json={"reason": "正常"}, headers=staff
        )
        assert done.status_code == 200 and done.json() == {"result": "已驳回 1 条举报"}
        again = client.post(f"/api/v1/moderation/posts/{post.id}/dismiss", headers=staff)
        assert again.status_code == 409
        assert client.get("/api/v1/moderation/queue", headers=staff).json()["items"] == []

    def test_mute_and_ban_users(self, client, session, world):  # type: ignore[no-untyped-def]
        *_, spammer, _, _, _ = world
        victim = api_token(client, "卖发票的")
        staff = api_token(client, "社工小李")
        resident = api_token(client, "jiayuan_mama")
        assert client.post(f"/api/v1/users/{spammer.id}/ban", headers=resident).status_code == 403
        assert client.post("/api/v1/users/999999/ban", headers=staff).status_code == 404
        bad = client.post(f"/api/v1/users/{spammer.id}/mute", json={"days": 2}, headers=staff)
        assert bad.status_code == 422 and "禁言时长" in bad.json()["detail"]
        muted = client.post(
            f"/api/v1/users/{spammer.id}/mute", json={"days": 1, "reason": "广告"}, headers=staff
        )
        assert muted.status_code == 200 and muted.json()["muted_until"] is not None
        warn = client.post(f"/api/v1/users/{spammer.id}/warn", json={}, headers=staff)
        assert warn.status_code == 422
        banned = client.post(f"/api/v1/users/{spammer.id}/ban", headers=staff)
        assert banned.status_code == 200 and banned.json()["is_active"] is False
        assert client.get("/api/v1/users/me", headers=victim).status_code == 401
        assert client.post(f"/api/v1/users/{spammer.id}/unban", headers=staff).json()["is_active"] is True
        actions = session.exec(select(ModerationAction.action).order_by(ModerationAction.id)).all()
        assert actions == ["mute", "ban", "unban"]
