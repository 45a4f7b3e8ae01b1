"""The JSON API: token auth, boards, topics, replies, and every error as JSON {"detail": …}."""

from __future__ import annotations

import pytest

from factories import api_token, make_board, make_topic, make_user
from forum.accounts.models import RoleName


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    alice = make_user(session, "七号楼老张")
    make_user(session, "jiayuan_mama")
    make_user(session, "社工小李", role=RoleName.STAFF)
    topic = make_topic(session, board=board, author=alice, tags=["tingche"])
    return board, topic


class TestAuth:
    def test_register_then_token_then_me(self, client, world):  # type: ignore[no-untyped-def]
        response = client.post("/api/v1/users", json={"username": "api_user", "password": "pass-word-123"})
        assert response.status_code == 201 and response.json()["username"] == "api_user"
        headers = api_token(client, "api_user", "pass-word-123")
        assert client.get("/api/v1/users/me", headers=headers).json()["role"] == "resident"

    def test_duplicate_username_is_409(self, client, world):  # type: ignore[no-untyped-def]
        response = client.post(
            "/api/v1/users", json={"username": "Jiayuan_Mama", "password": "pass-word-123"}
        )
        assert response.status_code == 409 and response.json() == {"detail": "该用户名已被注册"}

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            {"username": "x"},
            {"username": 5, "password": []},
            {"username": "ok_name", "password": "x" * 300},
        ],
    )
    def test_malformed_registration_is_422(self, client, world, payload):  # type: ignore[no-untyped-def]
        response = client.post("/api/v1/users", json=payload)
        assert response.status_code == 422 and "detail" in response.json()

    def test_weak_password_is_422_with_reason(self, client, world):  # type: ignore[no-untyped-def]
        response = client.post("/api/v1/users", json={"username": "new_one", "password": "1234"})
        assert response.status_code == 422 and "密码" in response.json()["detail"]

    def test_bad_credentials_and_tokens_are_401(self, client, world):  # type: ignore[no-untyped-def]
        assert (
            client.post(
                "/api/v1/tokens", json={"username": "七号楼老张", "password": "nope-nope"}
            ).status_code
            == 401
        )
        for header in ("Bearer nonsense", "Basic abc", "Bearer "):
            response = client.post(
                "/api/v1/boards/1/topics", json={"title": "t", "body": "b"}, headers={"Authorization": header}
            )
            assert response.status_code == 401 and response.json()["detail"] == "请先登录"

    def test_revoked_token_stops_working(self, client, world):  # type: ignore[no-untyped-def]
        headers = api_token(client, "七号楼老张")
        assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
        assert client.get("/api/v1/users/me", headers=headers).status_code == 401

    def test_browser_cookie_is_not_api_auth(self, client, world):  # type: ignore[no-untyped-def]
        from factories import login

        login(client, "七号楼老张")
        assert client.get("/api/v1/users/me").status_code == 401


class TestTopics:
    def test_list_boards_and_topics(self, client, world):  # type: ignore[no-untyped-def]
        board, topic = world
        boards = client.get("/api/v1/boards").json()
        assert boards[0]["slug"] == "yishi" and boards[0]["topic_count"] == 1
        page = client.get(f"/api/v1/boards/{board.id}/topics").json()
        assert page["items"][0]["id"] == topic.id and page["items"][0]["tags"] == ["tingche"]
        assert page["next_cursor"] is None

    def test_create_get_patch_delete(self, client, world):  # type: ignore[no-untyped-def]
        board, _ = world
        headers = api_token(client, "jiayuan_mama")
        response = client.post(
            f"/api/v1/boards/{board.id}/topics",
            headers=headers,
            json={"title": "楼门电梯分时段运行", "body": "晚上十点后停", "tags": ["wuye"]},
        )
        assert response.status_code == 201
        topic = response.json()
        assert topic["first_post"]["floor"] == 1 and topic["tags"] == ["wuye"]
        url = f"/api/v1/topics/{topic['id']}"
        patched = client.patch(url, headers=headers, json={"title": "电梯只在白天运行"}).json()
        assert patched["title"] == "电梯只在白天运行" and patched["first_post"]["edited_at"] is not None
        patched = client.patch(url, headers=headers, json={"body": "改成24小时了吗"}).json()
        assert patched["first_post"]["body"] == "改成24小时了吗"
        assert client.delete(url, headers=headers).status_code == 204
        assert client.get(url).status_code == 404

    def test_others_cannot_patch_or_delete(self, client, world):  # type: ignore[no-untyped-def]
        _, topic = world
        headers = api_token(client, "jiayuan_mama")
        assert (
            client.patch(f"/api/v1/topics/{topic.id}", headers=headers, json={"body": "x"}).status_code == 403
        )
        assert client.delete(f"/api/v1/topics/{topic.id}", headers=headers).status_code == 403

    def test_visitor_cannot_post(self, client, world):  # type: ignore[no-untyped-def]
        board, _ = world
        response = client.post(f"/api/v1/boards/{board.id}/topics", json={"title": "t", "body": "b"})
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("payload", "status"),
        [
            ({"title": "", "body": "内容"}, 422),
            ({"title": "标题", "body": ""}, 422),
            ({"title": "标题", "body": "内容", "tags": ["nope"]}, 422),
            ({"title": "标题"}, 422),
            ({"title": "t" * 500, "body": "b"}, 422),
            ({"title": ["x"], "body": "b"}, 422),
        ],
    )
    def test_bad_topics(self, client, world, payload, status):  # type: ignore[no-untyped-def]
        board, _ = world
        headers = api_token(client, "jiayuan_mama")
        response = client.post(f"/api/v1/boards/{board.id}/topics", headers=headers, json=payload)
        assert response.status_code == status and "detail" in response.json()

    def test_not_json_is_422_not_500(self, client, world):  # type: ignore[no-untyped-def]
        board, _ = world
        headers = {**api_token(client, "jiayuan_mama"), "Content-Type": "application/json"}
        response = client.post(f"/api/v1/boards/{board.id}/topics", headers=headers, content=b"{not json")
        assert response.status_code == 422

    def test_unknown_ids_are_404_json(self, client, world):  # type: ignore[no-untyped-def]
        for url in (
            "/api/v1/topics/999",
            "/api/v1/boards/999/topics",
            "/api/v1/topics/999/replies",
            "/api/v1/nothing",
        ):
            response = client.get(url)
            assert response.status_code == 404 and "detail" in response.json(), url

    def test_bad_cursor_is_422(self, client, world):  # type: ignore[no-untyped-def]
        board, _ = world
        response = client.get(f"/api/v1/boards/{board.id}/topics?cursor=%%%")
        assert response.status_code == 422 and response.json()["detail"] == "分页参数无效"

    def test_huge_body_is_413(self, client, world):  # type: ignore[no-untyped-def]
        board, _ = world
        headers = api_token(client, "jiayuan_mama")
        response = client.post(
            f"/api/v1/boards/{board.id}/topics",
            headers=headers,
            content=b'{"title": "x", "body": "' + b"a" * (7 * 1024 * 1024) + b'"}',
        )
        assert response.status_code == 413 and "过大" in response.json()["detail"]


class TestReplies:
    def test_replies_floors_subreplies_and_quotes(self, client, world):  # type: ignore[no-untyped-def]
        _, topic = world
        headers = api_token(client, "jiayuan_mama")
        url = f"/api/v1/topics/{topic.id}/replies"
        second = client.post(url, headers=headers, json={"body": "我家门口也是"})
        assert second.status_code == 201 and second.json()["floor"] == 2
        third = client.post(url, headers=headers, json={"body": "同意", "quote_floor": 2}).json()
        assert third["floor"] == 3 and third["quote_floor"] == 2
        sub = client.post(url, headers=headers, json={"body": "楼中楼", "parent_floor": 2}).json()
        assert sub["floor"] is None and sub["parent_floor"] == 2
        listing = client.get(url).json()
        assert [(p["floor"], p["parent_floor"]) for p in listing["items"]] == [
            (1, None),
            (2, None),
            (3, None),
            (None, 2),
        ]

    def test_reply_errors(self, client, session, world):  # type: ignore[no-untyped-def]
        _, topic = world
        headers = api_token(client, "jiayuan_mama")
        url = f"/api/v1/topics/{topic.id}/replies"
        assert client.post(url, headers=headers, json={"body": ""}).status_code == 422
        assert client.post(url, headers=headers, json={"body": "x", "parent_floor": 50}).status_code == 404
        assert client.post(url, headers=headers, json={"body": "x", "parent_floor": 0}).status_code == 422
        assert client.post(url, headers=headers, json={"body": "x", "parent_floor": "a"}).status_code == 422
        staff = api_token(client, "社工小李")
        from forum.boards import service

        service.set_topic_flag(
            session,
            actor=make_user(session, "管理员", role=RoleName.ADMIN),
            topic=topic,
            flag="is_locked",
            value=True,
        )
        session.commit()
        locked = client.post(url, headers=headers, json={"body": "x"})
        assert locked.status_code == 409 and "锁定" in locked.json()["detail"]
        assert client.post(url, headers=staff, json={"body": "x"}).status_code == 409

    def test_like_and_follow(self, client, world):  # type: ignore[no-untyped-def]
        _, topic = world
        headers = api_token(client, "jiayuan_mama")
        first_id = client.get(f"/api/v1/topics/{topic.id}").json()["first_post"]["id"]
        assert client.put(f"/api/v1/posts/{first_id}/like", headers=headers).json()["like_count"] == 1
        assert client.put(f"/api/v1/posts/{first_id}/like", headers=headers).json()["like_count"] == 1
        assert client.delete(f"/api/v1/posts/{first_id}/like", headers=headers).json()["like_count"] == 0
        assert client.put(f"/api/v1/topics/{topic.id}/follow", headers=headers).json() == {"following": True}

    def test_notifications_api(self, client, world):  # type: ignore[no-untyped-def]
        _, topic = world
        bob = api_token(client, "jiayuan_mama")
        client.post(f"/api/v1/topics/{topic.id}/replies", headers=bob, json={"body": "@七号楼老张 看看"})
        alice = api_token(client, "七号楼老张")
        inbox = client.get("/api/v1/notifications", headers=alice).json()
        assert inbox["unread"] == 1 and inbox["items"][0]["kind"] == "mention"


def test_openapi_schema_is_served(client, world):  # type: ignore[no-untyped-def]
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/topics/{topic_id}/replies" in schema["paths"]
    assert client.get("/docs").status_code == 200
