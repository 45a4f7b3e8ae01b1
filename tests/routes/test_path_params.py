"""A path parameter of the wrong type or out of range names nothing: 404, not "提交的内容有误".
Query and body errors keep their 422."""

from __future__ import annotations

import pytest

from factories import api_token, make_board, make_topic, make_user


@pytest.fixture
def topic_id(session) -> int:  # type: ignore[no-untyped-def]
    author = make_user(session, "七号楼老张")
    return make_topic(session, board=make_board(session, "yishi"), author=author).id  # type: ignore[return-value]


class TestPages:
    @pytest.mark.parametrize(
        "url", ["/t/abc", "/cases/abc", "/t/0", "/t/-1", "/t/1.5", "/u/" + "x" * 41, "/meetings/abc"]
    )
    def test_a_mistyped_id_is_the_chinese_404_page(self, client, topic_id, url) -> None:  # type: ignore[no-untyped-def]
        response = client.get(url)
        assert response.status_code == 404, url
        assert "<html" in response.text and "不存在" in response.text, url
        assert "有误" not in response.text and "格式不正确" not in response.text, url

    def test_with_htmx_it_is_a_404_toast(self, client, topic_id) -> None:  # type: ignore[no-untyped-def]
        response = client.get("/t/abc", headers={"HX-Request": "true"})
        assert response.status_code == 404 and "不存在" in response.text
        assert response.headers["HX-Retarget"] == "#toast"

    def test_a_bad_query_parameter_is_still_422(self, client, topic_id) -> None:  # type: ignore[no-untyped-def]
        assert client.get(f"/t/{topic_id}?page=abc").status_code == 422


class TestApi:
    @pytest.mark.parametrize(
        "url", ["/api/v1/cases/abc", "/api/v1/topics/abc", "/api/v1/topics/0", "/api/v1/meetings/abc"]
    )
    def test_a_mistyped_id_is_404_json(self, client, topic_id, url) -> None:  # type: ignore[no-untyped-def]
        response = client.get(url)
        assert response.status_code == 404, url
        assert isinstance(response.json()["detail"], str), url

    def test_a_mistyped_id_with_a_body_is_404_too(self, client, session, topic_id) -> None:  # type: ignore[no-untyped-def]
        make_user(session, "jiayuan_mama")
        headers = api_token(client, "jiayuan_mama")
        response = client.post("/api/v1/topics/abc/replies", json={"body": "同感"}, headers=headers)
        assert response.status_code == 404 and isinstance(response.json()["detail"], str)

    def test_query_and_body_errors_are_still_422_lists(self, client, session, topic_id) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/api/v1/cases?status=bogus").status_code == 422
        make_user(session, "jiayuan_mama")
        headers = api_token(client, "jiayuan_mama")
        response = client.post(f"/api/v1/topics/{topic_id}/replies", json={"body": 5}, headers=headers)
        assert response.status_code == 422 and isinstance(response.json()["detail"], list)
