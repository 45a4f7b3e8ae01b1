"""The web pages through HTTP: rendering, forms, CSRF, drafts, htmx fragments, errors."""

from __future__ import annotations

import re

import pytest

from factories import (
    PASSWORD,
    csrf,
    floors_on_page,
    form_post,
    login,
    make_board,
    make_reply,
    make_topic,
    make_user,
)
from forum.accounts.models import RoleName
from forum.app import create_app


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi", name="社区议事")
    alice = make_user(session, "七号楼老张")
    bob = make_user(session, "jiayuan_mama")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    topic = make_topic(session, board=board, author=alice, tags=["tingche"])
    return board, alice, bob, staff, topic


class TestBrowsing:
    @pytest.mark.parametrize("htmx", [False, True])
    def test_public_pages_render(self, client, world, htmx):  # type: ignore[no-untyped-def]
        *_, topic = world
        headers = {"HX-Request": "true"} if htmx else {}
        for url in (
            "/",
            "/b/yishi",
            f"/t/{topic.id}",
            "/login",
            "/register",
            "/u/七号楼老张",
            "/b/yishi?tag=tingche",
        ):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert "社区吧" in response.text
        page = client.get(f"/t/{topic.id}").text
        assert "7号楼院内乱停车" in page and "小区停车" in page and 'id="floor-1"' in page

    def test_security_headers_and_csrf_cookie(self, client, world):  # type: ignore[no-untyped-def]
        response = client.get("/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        cookie = response.headers["set-cookie"]
        assert "forum_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    @pytest.mark.parametrize(
        "cookie_header",
        [
            'forum_csrf="<b>"; x=1',  # not a token this app issues: replaced
            "forum_csrf=short",
            "forum_csrf=" + "a" * 101,
            "=;;;=\x7f; forum_csrf",  # malformed: ignored, never a 500
        ],
    )
    def test_a_csrf_cookie_of_the_wrong_shape_is_replaced(self, client, world, cookie_header):  # type: ignore[no-untyped-def]
        response = client.get("/login", headers={"Cookie": cookie_header})
        assert response.status_code == 200
        issued = response.headers["set-cookie"].split(";", 1)[0].removeprefix("forum_csrf=")
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", issued)
        assert f'value="{issued}"' in response.text  # the form carries the new token

    def test_a_returning_visitor_keeps_their_csrf_cookie(self, client, world):  # type: ignore[no-untyped-def]
        token = "returning-visitor-token-0123456789"
        response = client.get("/login", headers={"Cookie": f"theme=dark; forum_csrf={token}"})
        assert "set-cookie" not in response.headers
        assert f'value="{token}"' in response.text

    def test_unknown_ids_are_chinese_404s(self, client, world):  # type: ignore[no-untyped-def]
        for url in (
            "/t/999999",
            "/b/nope",
            "/u/nobody",
            "/p/424242",
            "/t/abc",
            "/nowhere",
            "/t/1/floor/0",
            "/media/zzz.jpg",
            "/t/99999999999999999999999",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "<html" in response.text and "不存在" in response.text, url

    def test_floor_link_lands_on_the_right_page(self, client, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        for i in range(40):
            make_reply(session, topic=topic, author=bob if i % 2 else alice, body=f"第{i + 2}楼")
        response = client.get(f"/t/{topic.id}/floor/37", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].endswith(f"/t/{topic.id}?page=2#floor-37")
        page2 = client.get(f"/t/{topic.id}?page=2").text
        assert floors_on_page(page2) == list(range(31, 42))
        assert floors_on_page(client.get(f"/t/{topic.id}").text) == list(range(1, 31))

    def test_author_only(self, client, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        for i in range(6):
            make_reply(session, topic=topic, author=alice if i % 3 == 0 else bob)
        assert floors_on_page(client.get(f"/t/{topic.id}?author=1").text) == [1, 2, 5]

    def test_expand_subreplies_fragment_and_page(self, client, session, world):  # type: ignore[no-untyped-def]
        _b, alice, bob, _s, topic = world
        floor = make_reply(session, topic=topic, author=bob)
        for i in range(5):
            make_reply(session, topic=topic, author=alice, parent_floor=2, body=f"楼中楼{i}")
        page = client.get(f"/t/{topic.id}").text
        assert "楼中楼2" in page and "楼中楼3" not in page and "还有 2 条回复" in page
        fragment = client.get(f"/p/{floor.id}/subreplies", headers={"HX-Request": "true"})
        assert "楼中楼4" in fragment.text and "<html" not in fragment.text
        full = client.get(f"/p/{floor.id}/subreplies")
        assert "楼中楼4" in full.text and "<html" in full.text


class TestAccounts:
    def test_register_logs_in_and_session_survives_restart(self, client, settings, world):  # type: ignore[no-untyped-def]
        response = form_post(
            client,
            "/register",
            {"username": "新居民", "password": "pass-word-123", "password2": "pass-word-123"},
        )
        assert response.status_code == 303
        session_cookie = client.cookies["forum_session"]
        assert "新居民" in client.get("/").text
        # A second app (another worker, or after a restart) knows the same session.
        other = create_app(settings)
        from fastapi.testclient import TestClient

        with TestClient(other) as second:
            second.cookies.set("forum_session", session_cookie)
            assert "新居民" in second.get("/").text
        other.state.engine.dispose()

    def test_duplicate_username_is_refused_case_insensitively(self, client, world):  # type: ignore[no-untyped-def]
        make = {"username": "JIAYUAN_MAMA", "password": "pass-word-123", "password2": "pass-word-123"}
        response = form_post(client, "/register", make)
        assert response.status_code == 409 and "已被注册" in response.text
        assert 'value="JIAYUAN_MAMA"' in response.text

    @pytest.mark.parametrize(
        ("username", "password", "message"),
        [
            ("a", "pass-word-123", "用户名"),
            ("有 空格", "pass-word-123", "用户名"),
            ("<script>", "pass-word-123", "用户名"),
            ("居民甲", "short", "至少"),
            ("居民甲", "aaaaaaaa", "太简单"),
        ],
    )
    def test_bad_registration_explains(self, client, world, username, password, message):  # type: ignore[no-untyped-def]
        response = form_post(
            client, "/register", {"username": username, "password": password, "password2": password}
        )
        assert response.status_code == 400 and message in response.text

    def test_login_rotates_session_and_logout_ends_it(self, client, world):  # type: ignore[no-untyped-def]
        login(client, "七号楼老张")
        first = client.cookies["forum_session"]
        login(client, "七号楼老张")
        second = client.cookies["forum_session"]
        assert first != second
        form_post(client, "/logout")
        client.cookies.set("forum_session", second)
        assert "退出" not in client.get("/").text
        client.cookies.set("forum_session", first)
        assert "退出" not in client.get("/").text

    def test_wrong_password(self, client, world):  # type: ignore[no-untyped-def]
        response = form_post(client, "/login", {"username": "七号楼老张", "password": "wrong-pass"})
        assert response.status_code == 400 and "用户名或密码错误" in response.text

    def test_login_next_cannot_leave_the_site(self, client, world):  # type: ignore[no-untyped-def]
        for target in ("https://evil.example/", "//evil.example/", "/\\evil"):
            response = form_post(
                client, "/login", {"username": "七号楼老张", "password": PASSWORD, "next": target}
            )
            assert response.headers["location"] == "/"

    def test_private_data_visible_to_owner_and_staff_only(self, client, make_client, session, world):  # type: ignore[no-untyped-def]
        login(client, "七号楼老张")
        form_post(
            client,
            "/me/household",
            {"building": "7", "unit": "2", "room": "301", "real_name": "张建国", "phone": "13800001111"},
        )
        assert "13800001111" in client.get("/u/七号楼老张").text
        stranger = make_client()
        login(stranger, "jiayuan_mama")
        assert "13800001111" not in stranger.get("/u/七号楼老张").text
        assert "张建国" not in make_client().get("/u/七号楼老张").text
        staff = make_client()
        login(staff, "社工小李")
        queue = staff.get("/admin/households").text
        assert "13800001111" in queue and "7号楼" in queue
        household_id = re.search(r"/admin/households/(\d+)", queue).group(1)  # type: ignore[union-attr]
        assert (
            form_post(staff, f"/admin/households/{household_id}", {"decision": "approve"}).status_code == 303
        )
        assert "已认证住户" in make_client().get("/u/七号楼老张").text
        # A resident cannot review.
        assert (
            form_post(stranger, f"/admin/households/{household_id}", {"decision": "approve"}).status_code
            == 403
        )


class TestPosting:
    def test_post_topic_with_tags(self, client, world):  # type: ignore[no-untyped-def]
        login(client, "jiayuan_mama")
        response = form_post(
            client, "/b/yishi/new", {"title": "电梯又坏了", "body": "3号楼电梯\n第二行", "tags": ["wuye"]}
        )
        assert response.status_code == 303
        page = client.get(response.headers["location"]).text
        assert "电梯又坏了" in page and "物业矛盾" in page and "3号楼电梯<br" in page

    def test_invalid_topic_keeps_the_draft(self, client, world):  # type: ignore[no-untyped-def]
        login(client, "jiayuan_mama")
        response = form_post(
            client, "/b/yishi/new", {"title": "", "body": "我写了很长的草稿", "tags": ["wuye"]}
        )
        assert response.status_code == 400
        assert "请填写标题" in response.text and "我写了很长的草稿" in response.text
        assert re.search(r'value="wuye"\s+checked', response.text)

    def test_reply_and_sub_reply(self, client, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        login(client, "jiayuan_mama")
        assert form_post(client, f"/t/{topic.id}/reply", {"body": "二楼"}).status_code == 303
        response = form_post(client, f"/t/{topic.id}/reply", {"body": "楼中楼回复", "parent_floor": "2"})
        assert response.status_code == 303
        page = client.get(f"/t/{topic.id}").text
        assert "二楼" in page and "楼中楼回复" in page

    def test_empty_reply_keeps_nothing_and_explains(self, client, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        login(client, "jiayuan_mama")
        response = form_post(client, f"/t/{topic.id}/reply", {"body": "   "})
        assert response.status_code == 400 and "内容不能为空" in response.text

    def test_locked_topic_shows_notice_and_refuses_reply(self, client, make_client, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        staff = make_client()
        login(staff, "社工小李")
        assert form_post(staff, f"/t/{topic.id}/moderate", {"action": "lock"}).status_code == 303
        login(client, "jiayuan_mama")
        page = client.get(f"/t/{topic.id}").text
        assert "已被锁定" in page and 'data-testid="reply-body"' not in page
        response = form_post(client, f"/t/{topic.id}/reply", {"body": "还能回吗"})
        assert response.status_code == 409 and "锁定" in response.text

    def test_reply_to_deleted_topic_is_refused(self, client, session, world):  # type: ignore[no-untyped-def]
        _b, alice, *_, topic = world
        from forum.boards import service

        service.delete_topic(session, actor=alice, topic=topic)
        session.commit()
        login(client, "jiayuan_mama")
        assert form_post(client, f"/t/{topic.id}/reply", {"body": "hi"}).status_code == 404

    def test_editing_someone_elses_post_is_forbidden(self, client, session, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        from forum.boards import service

        first = service.first_post(session, topic)
        login(client, "jiayuan_mama")
        assert client.get(f"/p/{first.id}/edit").status_code == 403  # no form …
        response = form_post(client, f"/p/{first.id}/edit", {"body": "篡改"})
        assert response.status_code == 403  # … and no saving
        assert form_post(client, f"/p/{first.id}/delete").status_code == 403

    def test_edit_and_delete_own_post(self, client, session, world):  # type: ignore[no-untyped-def]
        _b, _a, bob, _s, topic = world
        post = make_reply(session, topic=topic, author=bob, body="原文")
        login(client, "jiayuan_mama")
        assert form_post(client, f"/p/{post.id}/edit", {"body": "改过的"}).status_code == 303
        page = client.get(f"/t/{topic.id}").text
        assert "改过的" in page and "已编辑" in page
        assert "原文" in client.get(f"/p/{post.id}/revisions").text
        assert form_post(client, f"/p/{post.id}/delete").status_code == 303
        page = client.get(f"/t/{topic.id}").text
        assert "该楼层已删除" in page and "改过的" not in page and 'id="floor-2"' in page

    def test_like_with_htmx_returns_the_button(self, client, session, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        from forum.boards import service

        first = service.first_post(session, topic)
        login(client, "jiayuan_mama")
        response = client.post(
            f"/p/{first.id}/like",
            data={"on": "1"},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
        )
        assert response.status_code == 200 and "赞 1" in response.text and "<html" not in response.text
        again = client.post(
            f"/p/{first.id}/like",
            data={"on": "1"},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
        )
        assert "赞 1" in again.text

    def test_notification_shows_in_header_and_inbox(self, client, make_client, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        bob = make_client()
        login(bob, "jiayuan_mama")
        form_post(bob, f"/t/{topic.id}/reply", {"body": "@七号楼老张 我也遇到了"})
        login(client, "七号楼老张")
        home = client.get("/").text
        assert re.search(r'data-testid="unread-count">1<', home)
        inbox = client.get("/notifications").text
        assert "jiayuan_mama" in inbox and "提到了你" in inbox


class TestCsrf:
    @pytest.mark.parametrize(
        "path",
        [
            "/register",
            "/login",
            "/logout",
            "/b/yishi/new",
            "/t/{t}/reply",
            "/t/{t}/follow",
            "/t/{t}/moderate",
            "/admin/boards",
        ],
    )
    def test_form_posts_without_token_are_refused(self, client, world, path):  # type: ignore[no-untyped-def]
        *_, topic = world
        login(client, "社工小李")
        url = path.format(t=topic.id)
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(
                url, data={**data, "body": "x", "title": "x", "action": "pin"}, follow_redirects=False
            )
            assert response.status_code == 403, url
            assert "请刷新页面" in response.text

    def test_token_from_another_browser_is_refused(self, client, make_client, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        other = make_client()
        token = csrf(other)
        login(client, "jiayuan_mama")
        response = client.post(
            f"/t/{topic.id}/reply", data={"csrf_token": token, "body": "x"}, follow_redirects=False
        )
        assert response.status_code == 403


class TestStaff:
    def test_pin_feature_and_move(self, client, session, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        other = make_board(session, "minqing", name="民情反映")
        login(client, "社工小李")
        for action in ("pin", "feature"):
            assert form_post(client, f"/t/{topic.id}/moderate", {"action": action}).status_code == 303
        board_page = client.get("/b/yishi").text
        assert "置顶" in board_page and "精品" in board_page
        assert form_post(client, f"/t/{topic.id}/move", {"board_id": str(other.id)}).status_code == 303
        assert "7号楼院内乱停车" in client.get("/b/minqing").text

    def test_resident_cannot_moderate(self, client, world):  # type: ignore[no-untyped-def]
        *_, topic = world
        login(client, "jiayuan_mama")
        assert form_post(client, f"/t/{topic.id}/moderate", {"action": "pin"}).status_code == 403
        assert form_post(client, f"/t/{topic.id}/moderate", {"action": "explode"}).status_code == 422

    def test_admin_manages_boards_and_categories(self, client, session, world):  # type: ignore[no-untyped-def]
        make_user(session, "管理员", role=RoleName.ADMIN)
        login(client, "管理员")
        assert (
            form_post(
                client, "/admin/boards", {"slug": "tiaozao", "name": "跳蚤市场", "description": "闲置换物"}
            ).status_code
            == 303
        )
        assert "跳蚤市场" in client.get("/").text
        response = form_post(client, "/admin/boards", {"slug": "tiaozao", "name": "重复"})
        assert response.status_code == 409 and "已被其他版块使用" in response.text
        assert (
            form_post(client, "/admin/categories", {"slug": "jiaotong", "name": "交通出行"}).status_code
            == 303
        )
        assert "交通出行" in client.get("/admin").text

    def test_staff_cannot_open_admin(self, client, world):  # type: ignore[no-untyped-def]
        login(client, "社工小李")
        assert client.get("/admin").status_code == 403
