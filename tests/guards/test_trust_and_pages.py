"""New accounts and links; the blocked draft kept in the form; the admin's word-list page, whose
edits a second app instance on the same database applies at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from factories import PASSWORD, csrf, make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName, User
from forum.guards.models import SensitiveWord


def _form(client, url: str, data: dict | None = None, **kw):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, follow_redirects=False, **kw)


def _login(client, username: str) -> None:  # type: ignore[no-untyped-def]
    assert _form(client, "/login", {"username": username, "password": PASSWORD}).status_code == 303


def _age(session: Session, user: User, days: int) -> None:
    user.created_at = user.created_at - timedelta(days=days)
    session.add(user)
    session.commit()


class TestLinks:
    @pytest.mark.parametrize(
        "body", ["看这里 https://spam.example.com", "加 www.example.cn 了解", "ｅｘａｍｐｌｅ．ｃｏｍ"]
    )
    def test_new_account_cannot_post_links_and_keeps_the_draft(
        self, session: Session, make_app, body: str
    ) -> None:  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        user = make_user(session)
        _app, client = make_app(trust_days=3, trust_posts=2)
        _login(client, user.username)
        response = _form(client, "/b/yishi/new", {"title": "分享", "body": body})
        assert response.status_code == 400
        assert "新用户暂不能发布链接" in response.text and body in response.text

    def test_new_account_cannot_post_links_on_the_api(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        user = make_user(session)
        topic = make_topic(session, board=board, author=user)
        _app, client = make_app(trust_days=3, trust_posts=0)
        token = client.post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD}).json()
        response = client.post(
            f"/api/v1/topics/{topic.id}/replies",
            json={"body": "http://example.com"},
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert response.status_code == 422 and "新用户" in response.json()["detail"]

    def test_an_account_with_history_can(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session, "yishi")
        user = make_user(session)
        topic = make_topic(session, board=board, author=user)
        make_reply(session, topic=topic, author=user)
        _age(session, user, 10)
        _app, client = make_app(trust_days=3, trust_posts=2)
        _login(client, user.username)
        assert (
            _form(client, "/b/yishi/new", {"title": "分享", "body": "https://example.com"}).status_code == 303
        )

    def test_old_but_silent_account_is_still_new(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        user = make_user(session)
        _age(session, user, 100)
        _app, client = make_app(trust_days=3, trust_posts=2)
        _login(client, user.username)
        assert (
            _form(client, "/b/yishi/new", {"title": "分享", "body": "https://example.com"}).status_code == 400
        )

    def test_staff_are_never_new(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        staff = make_user(session, role=RoleName.STAFF)
        _app, client = make_app(trust_days=3, trust_posts=2)
        _login(client, staff.username)
        assert (
            _form(client, "/b/yishi/new", {"title": "通知", "body": "https://gov.example.cn"}).status_code
            == 303
        )


class TestBlockedDraft:
    @pytest.mark.parametrize("htmx", [False, True])
    def test_blocked_topic_comes_back_with_the_draft(
        self, session: Session, words, client, htmx: bool
    ) -> None:  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        user = make_user(session)
        _login(client, user.username)
        headers = {"HX-Request": "true"} if htmx else {}
        response = _form(
            client, "/b/yishi/new", {"title": "发票问题", "body": "长期代開發票，价格优惠"}, headers=headers
        )
        assert response.status_code == 400
        assert "内容包含不允许发布的词语「代开发票」，请修改后再发" in response.text
        assert "发票问题" in response.text and "长期代開發票，价格优惠" in response.text

    def test_blocked_reply_keeps_the_draft(self, session: Session, words, client) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        user = make_user(session)
        topic = make_topic(session, board=board, author=user)
        _login(client, user.username)
        response = _form(client, f"/t/{topic.id}/reply", {"body": "VX加我 代开发票"})
        assert response.status_code == 400 and "不允许发布的词语" in response.text
        assert "VX加我 代开发票" in response.text

    def test_registration_with_a_blocked_name(self, session: Session, words, client) -> None:  # type: ignore[no-untyped-def]
        response = _form(
            client, "/register", {"username": "代开发票王", "password": PASSWORD, "password2": PASSWORD}
        )
        assert response.status_code == 400 and "用户名包含不允许使用的词语" in response.text


class TestWordListPages:
    def test_admin_edits_and_a_second_instance_applies_them_at_once(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session, "yishi")
        admin = make_user(session, "管理员", role=RoleName.ADMIN)
        resident = make_user(session)
        topic = make_topic(session, board=board, author=resident)
        _first, admin_client = make_app()
        _second, resident_client = make_app()
        _login(admin_client, admin.username)
        _login(resident_client, resident.username)
        # The second instance has already built (and cached) its matcher for the empty list.
        assert _form(resident_client, f"/t/{topic.id}/reply", {"body": "网贷秒批"}).status_code == 303

        assert admin_client.get("/admin/words").status_code == 200
        added = _form(
            admin_client, "/admin/words", {"words": "网贷秒批\n刷单返利", "level": "block", "note": "广告"}
        )
        assert added.status_code == 303
        page = admin_client.get("/admin/words").text
        assert "网贷秒批" in page and "刷单返利" in page

        response = _form(resident_client, f"/t/{topic.id}/reply", {"body": "网贷秒批，当天到账"})
        assert response.status_code == 400 and "网贷秒批" in response.text

        word = session.exec(select(SensitiveWord).where(SensitiveWord.word == "网贷秒批")).one()
        assert _form(admin_client, f"/admin/words/{word.id}/level", {"level": "mask"}).status_code == 303
        assert _form(resident_client, f"/t/{topic.id}/reply", {"body": "网贷秒批"}).status_code == 303
        assert _form(admin_client, f"/admin/words/{word.id}/delete").status_code == 303
        assert "网贷秒批" not in admin_client.get("/admin/words").text

    def test_bad_input_keeps_the_form(self, session: Session, client) -> None:  # type: ignore[no-untyped-def]
        admin = make_user(session, role=RoleName.ADMIN)
        _login(client, admin.username)
        response = _form(client, "/admin/words", {"words": "x", "level": "block", "note": "一条备注"})
        assert response.status_code == 400 and "太短" in response.text and "一条备注" in response.text
        assert _form(client, "/admin/words", {"words": "测试", "level": "nuke"}).status_code == 400
        assert _form(client, "/admin/words", {"words": "测" * 6000}).status_code == 422
        assert _form(client, "/admin/words/999/delete").status_code == 404

    def test_residents_and_staff_cannot_edit_the_list(self, session: Session, client) -> None:  # type: ignore[no-untyped-def]
        staff = make_user(session, role=RoleName.STAFF)
        _login(client, staff.username)
        assert client.get("/admin/words").status_code == 403
        assert _form(client, "/admin/words", {"words": "测试", "level": "block"}).status_code == 403
