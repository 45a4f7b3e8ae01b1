"""Rate limits: 429 with a Chinese message and Retry-After for each limited action, on the pages
and the API; counters in the database, shared by every app instance; failed logins count although
the request fails, and past the limit even the right password is refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image as PILImage
from sqlmodel import Session, select

from factories import PASSWORD, csrf, make_board, make_topic, make_user
from forum.errors import RateLimited
from forum.guards import ratelimit
from forum.guards.models import RateCounter


def _form(client, url: str, data: dict | None = None, **kw):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, follow_redirects=False, **kw)


def _login(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return _form(client, "/login", {"username": username, "password": password})


def _assert_limited(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["retry-after"]) <= 24 * 3600
    assert "太频繁" in response.text or "次数过多" in response.text


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


class TestPosting:
    def test_topics_per_account_on_pages_keep_the_draft(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session, "yishi")
        user = make_user(session, "七号楼老张")
        _app, client = make_app(topics_per_window=2)
        _login(client, user.username)
        for i in range(2):
            assert _form(client, "/b/yishi/new", {"title": f"第{i}帖", "body": "内容"}).status_code == 303
        response = _form(client, "/b/yishi/new", {"title": "第三帖的标题", "body": "辛辛苦苦写的内容"})
        _assert_limited(response)
        assert "发帖太频繁" in response.text
        assert "第三帖的标题" in response.text and "辛辛苦苦写的内容" in response.text
        htmx = _form(
            client, "/b/yishi/new", {"title": "再试", "body": "内容"}, headers={"HX-Request": "true"}
        )
        _assert_limited(htmx)
        del board

    def test_topics_and_replies_on_the_api(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        board = make_board(session)
        user = make_user(session)
        topic = make_topic(session, board=board, author=user)
        _app, client = make_app(topics_per_window=1, replies_per_window=1)
        token = client.post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        url = f"/api/v1/boards/{board.id}/topics"
        assert client.post(url, json={"title": "一", "body": "内容"}, headers=headers).status_code == 201
        second = client.post(url, json={"title": "二", "body": "内容"}, headers=headers)
        _assert_limited(second)
        assert second.json()["detail"].startswith("发帖太频繁")
        replies = f"/api/v1/topics/{topic.id}/replies"
        assert client.post(replies, json={"body": "一"}, headers=headers).status_code == 201
        _assert_limited(client.post(replies, json={"body": "二"}, headers=headers))

    def test_refused_posts_do_not_count(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        user = make_user(session)
        _app, client = make_app(topics_per_window=1)
        _login(client, user.username)
        assert _form(client, "/b/yishi/new", {"title": "", "body": "没有标题"}).status_code == 400
        assert _form(client, "/b/yishi/new", {"title": "有标题", "body": "内容"}).status_code == 303

    def test_one_address_is_limited_across_accounts(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        first, second = make_user(session), make_user(session)
        _app, one = make_app(ip_posts_per_window=2)
        _app2, two = make_app(ip_posts_per_window=2)
        _login(one, first.username)
        _login(two, second.username)
        assert _form(one, "/b/yishi/new", {"title": "一", "body": "内容"}).status_code == 303
        assert _form(two, "/b/yishi/new", {"title": "二", "body": "内容"}).status_code == 303
        _assert_limited(_form(two, "/b/yishi/new", {"title": "三", "body": "内容"}))

    def test_uploads(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        make_board(session, "yishi")
        user = make_user(session)
        _app, client = make_app(uploads_per_window=2)
        _login(client, user.username)
        files = [("images", ("a.png", _png(), "image/png")), ("images", ("b.png", _png(), "image/png"))]
        assert (
            _form(client, "/b/yishi/new", {"title": "两张图", "body": "内容"}, files=files).status_code == 303
        )
        one = [("images", ("c.png", _png(), "image/png"))]
        response = _form(client, "/b/yishi/new", {"title": "又一张", "body": "内容"}, files=one)
        _assert_limited(response)
        assert "上传图片太频繁" in response.text


class TestSharedCounters:
    def test_two_app_instances_share_the_counts(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        """No process memory: what one instance counted, the other sees."""
        make_board(session, "yishi")
        user = make_user(session)
        _a, first = make_app(topics_per_window=2)
        _b, second = make_app(topics_per_window=2)
        _login(first, user.username)
        _login(second, user.username)
        assert _form(first, "/b/yishi/new", {"title": "一", "body": "内容"}).status_code == 303
        assert _form(second, "/b/yishi/new", {"title": "二", "body": "内容"}).status_code == 303
        _assert_limited(_form(first, "/b/yishi/new", {"title": "三", "body": "内容"}))
        counters = session.exec(select(RateCounter).where(RateCounter.key == f"topic:u:{user.id}")).all()
        assert [c.count for c in counters] == [2]


class TestRegistration:
    def test_per_address_on_pages_and_api(self, make_app) -> None:  # type: ignore[no-untyped-def]
        _app, client = make_app(registrations_per_ip_per_day=2)
        data = {"username": "新居民一", "password": PASSWORD, "password2": PASSWORD}
        assert _form(client, "/register", data).status_code == 303
        client.cookies.clear()
        response = client.post("/api/v1/users", json={"username": "新居民二", "password": PASSWORD})
        assert response.status_code == 201
        _assert_limited(client.post("/api/v1/users", json={"username": "新居民三", "password": PASSWORD}))
        page = _form(client, "/register", {**data, "username": "新居民四"})
        _assert_limited(page)
        assert "注册太频繁" in page.text and "新居民四" in page.text


class TestLogin:
    def test_failures_count_although_the_request_fails(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        user = make_user(session, "七号楼老张")
        _app, client = make_app(login_failures_per_account=3)
        for _ in range(3):
            assert (
                client.post(
                    "/api/v1/tokens", json={"username": "七号楼老张", "password": "wrong-guess-1"}
                ).status_code
                == 401
            )
        key = f"login:a:{user.username_key}"
        assert session.exec(select(RateCounter.count).where(RateCounter.key == key)).one() == 3
        # Now even the right password is refused: guessing has stopped.
        right = client.post("/api/v1/tokens", json={"username": "七号楼老张", "password": PASSWORD})
        _assert_limited(right)
        assert "登录失败次数过多" in right.json()["detail"]
        page = _login(client, "七号楼老张")
        _assert_limited(page)
        assert "七号楼老张" in page.text  # the form keeps the name

    def test_unknown_names_count_too(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        _app, client = make_app(login_failures_per_account=2)
        for _ in range(2):
            assert _login(client, "没有这个人", "whatever-123").status_code == 400
        _assert_limited(_login(client, "没有这个人", "whatever-123"))

    def test_per_address_across_accounts(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        victim = make_user(session)
        _app, client = make_app(login_failures_per_ip=3)
        for i in range(3):
            assert _login(client, f"user-guess-{i}", "nope-nope-1").status_code == 400
        _assert_limited(_login(client, victim.username))

    def test_success_forgets_the_accounts_failures(self, session: Session, make_app) -> None:  # type: ignore[no-untyped-def]
        user = make_user(session)
        _app, client = make_app(login_failures_per_account=3)
        for _ in range(2):
            _login(client, user.username, "typo-typo-1")
        assert _login(client, user.username).status_code == 303
        client.cookies.clear()
        for _ in range(2):
            assert _login(client, user.username, "typo-typo-1").status_code == 400
        assert _login(client, user.username).status_code == 303


class TestService:
    def test_reports_are_limited_for_the_moderation_service(self, session: Session, guarded) -> None:  # type: ignore[no-untyped-def]
        user = make_user(session)
        with guarded(reports_per_window=2):
            ratelimit.hit(session, action="report", user=user)
            ratelimit.hit(session, action="report", user=user)
            with pytest.raises(RateLimited, match="举报太频繁") as caught:
                ratelimit.hit(session, action="report", user=user)
        assert caught.value.retry_after > 0

    def test_new_accounts_have_lower_limits(self, session: Session, guarded) -> None:  # type: ignore[no-untyped-def]
        young = make_user(session)
        old = make_user(session)
        old.created_at = old.created_at - timedelta(days=30)
        session.commit()
        with guarded(trust_days=3, trust_posts=0, new_user_replies_per_window=1, replies_per_window=5):
            ratelimit.hit(session, action="reply", user=young)
            with pytest.raises(RateLimited):
                ratelimit.hit(session, action="reply", user=young)
            for _ in range(5):
                ratelimit.hit(session, action="reply", user=old)

    def test_staff_have_no_account_limit(self, session: Session, guarded) -> None:  # type: ignore[no-untyped-def]
        from forum.accounts.models import RoleName

        staff = make_user(session, role=RoleName.STAFF)
        with guarded(topics_per_window=1):
            for _ in range(3):
                ratelimit.hit(session, action="topic", user=staff)

    def test_nothing_is_limited_outside_a_request(self, session: Session) -> None:
        user = make_user(session)
        for _ in range(50):
            ratelimit.hit(session, action="topic", user=user)
        assert session.exec(select(RateCounter)).all() == []

    def test_windows_end_and_old_ones_are_purged(self, session: Session, guarded) -> None:  # type: ignore[no-untyped-def]
        user = make_user(session)
        early = datetime(2030, 1, 1, 8, 0, 30, tzinfo=UTC)
        with guarded(topics_per_window=1, rate_window_minutes=60):
            ratelimit.hit(session, action="topic", user=user, now=early)
            with pytest.raises(RateLimited) as caught:
                ratelimit.hit(session, action="topic", user=user, now=early)
            assert caught.value.retry_after == 3600 - 30
            ratelimit.hit(session, action="topic", user=user, now=early + timedelta(hours=1))
        session.commit()
        assert ratelimit.purge(session, now=early + timedelta(days=3)) >= 2
        assert session.exec(select(RateCounter)).all() == []

    def test_wait_is_told_in_words(self) -> None:
        assert ratelimit.wait_text(30) == "30 秒"
        assert ratelimit.wait_text(61) == "2 分钟"
        assert ratelimit.wait_text(5 * 3600) == "5 小时"
