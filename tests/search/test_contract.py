"""One contract, every backend: the same queries give the same results."""

from __future__ import annotations

from datetime import timedelta

import pytest

from factories import api_token, make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import intake as case_intake
from forum.timeutil import SHANGHAI, utcnow


@pytest.fixture
def corpus(session, search_backend):  # type: ignore[no-untyped-def]
    yishi = make_board(session, "yishi", name="社区议事")
    minqing = make_board(session, "minqing", name="民情反映")
    zhang = make_user(session, "七号楼老张")
    li = make_user(session, "八号楼李姐")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    t = {
        "parking": make_topic(
            session,
            board=minqing,
            author=zhang,
            title="7号楼院内乱停车",
            body="消防通道被私家车堵住了",
            tags=["tingche"],
        ),
        "lift": make_topic(
            session, board=minqing, author=li, title="電梯壞了三天", body="樓門電梯一直停運", tags=["wuye"]
        ),
        "dogs": make_topic(
            session, board=yishi, author=zhang, title="养狗请拴绳", body="小区里不文明养狗越来越多"
        ),
        "other": make_topic(
            session, board=yishi, author=li, title="17号楼门口的花开了", body="坐148路回来看到的"
        ),
        "bus": make_topic(session, board=minqing, author=li, title="48路公交站台太高", body="老人上车很难"),
        "noise": make_topic(
            session, board=minqing, author=zhang, title="南边工地施工", body="晚上十点以后还在扰民"
        ),
        "only_noise": make_topic(session, board=yishi, author=li, title="楼上装修", body="周末也在施工"),
        "xss": make_topic(
            session, board=yishi, author=li, title="奇怪的帖子", body="<script>alert(1)</script>停车场"
        ),
    }
    reply = make_reply(session, topic=t["parking"], author=li, body="晚上停车更乱，救护车都进不来")
    private = case_intake.open_case(
        session,
        actor=staff,
        title="家庭纠纷调解",
        description="涉及邻里隐私的调解",
        source="walk_in",
        is_private=True,
    )
    public = case_intake.open_case(session, actor=staff, post=boards.first_post(session, t["parking"]))
    session.commit()
    search_backend()
    return {"topics": t, "reply": reply, "private": private, "public": public, "staff": staff, "zhang": zhang}


def find(client, q: str, headers: dict | None = None, **params: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/search", params={"q": q, **params}, headers=headers or {})
    assert response.status_code == 200, response.text
    return [item["url"] for item in response.json()["items"]]


def post_url(session, topic) -> str:  # type: ignore[no-untyped-def]
    return f"/p/{boards.first_post(session, topic).id}"


class TestWords:
    def test_two_character_word(self, client, session, corpus):  # type: ignore[no-untyped-def]
        urls = find(client, "停车")
        t = corpus["topics"]
        assert post_url(session, t["parking"]) in urls and f"/p/{corpus['reply'].id}" in urls
        assert post_url(session, t["dogs"]) not in urls

    @pytest.mark.parametrize(
        ("query", "topic"), [("电梯", "lift"), ("電梯", "lift"), ("養狗", "dogs"), ("养狗", "dogs")]
    )
    def test_traditional_and_simplified_both_ways(self, client, session, corpus, query, topic):  # type: ignore[no-untyped-def]
        assert post_url(session, corpus["topics"][topic]) in find(client, query)

    def test_numbers_with_units(self, client, session, corpus):  # type: ignore[no-untyped-def]
        t = corpus["topics"]
        building = find(client, "7号楼")
        assert post_url(session, t["parking"]) in building and post_url(session, t["other"]) not in building
        bus = find(client, "48路")
        assert post_url(session, t["bus"]) in bus and post_url(session, t["other"]) not in bus

    def test_every_word_of_a_phrase_must_match(self, client, session, corpus):  # type: ignore[no-untyped-def]
        t = corpus["topics"]
        urls = find(client, "施工扰民")
        assert post_url(session, t["noise"]) in urls and post_url(session, t["only_noise"]) not in urls

    def test_short_empty_and_huge_queries_get_an_answer(self, client, corpus):  # type: ignore[no-untyped-def]
        for q in ("", " ", "停", "a" * 10_000, "！？"):
            body = client.get("/api/v1/search", params={"q": q}).json()
            assert body["items"] == [] and body["message"]


class TestFilters:
    def test_type_board_tag_author_and_dates(self, client, session, corpus):  # type: ignore[no-untyped-def]
        t = corpus["topics"]
        assert find(client, "停车", type="reply") == [f"/p/{corpus['reply'].id}"]
        assert post_url(session, t["xss"]) in find(client, "停车", board="yishi")
        assert post_url(session, t["parking"]) not in find(client, "停车", board="yishi")
        assert post_url(session, t["lift"]) in find(client, "电梯", tag="wuye")
        assert find(client, "电梯", tag="tingche") == []
        assert post_url(session, t["parking"]) in find(client, "停车", author="七号楼老张")
        assert f"/p/{corpus['reply'].id}" not in find(client, "停车", author="七号楼老张")
        today = utcnow().astimezone(SHANGHAI).date()
        assert find(client, "停车", date_from=str(today - timedelta(days=1)))
        assert find(client, "停车", date_to=str(today - timedelta(days=1))) == []

    def test_case_status_filter(self, client, corpus):  # type: ignore[no-untyped-def]
        url = f"/cases/{corpus['public'].id}"
        assert url in find(client, "停车", type="case", status="submitted")
        assert find(client, "停车", type="case", status="resolved") == []

    def test_bad_filters_are_422(self, client, corpus):  # type: ignore[no-untyped-def]
        for params in (
            {"type": "bogus"},
            {"sort": "bogus"},
            {"board": "nope"},
            {"status": "x"},
            {"page": "0"},
        ):
            assert client.get("/api/v1/search", params={"q": "停车", **params}).status_code == 422


class TestVisibility:
    def test_deleted_and_hidden_content_is_absent(self, client, session, corpus, search_backend):  # type: ignore[no-untyped-def]
        t = corpus["topics"]
        boards.delete_post(session, actor=corpus["zhang"], post=boards.first_post(session, t["dogs"]))
        admin = make_user(session, "管理员", role=RoleName.ADMIN)
        boards.set_post_hidden(
            session, actor=admin, post=boards.first_post(session, t["parking"]), hidden=True
        )
        session.commit()
        search_backend()
        assert find(client, "养狗") == []
        urls = find(client, "停车")
        assert post_url(session, t["parking"]) not in urls and f"/p/{corpus['reply'].id}" not in urls

    def test_private_cases_only_for_staff(self, client, corpus):  # type: ignore[no-untyped-def]
        url = f"/cases/{corpus['private'].id}"
        assert url not in find(client, "调解")
        resident = api_token(client, "七号楼老张")
        assert url not in find(client, "调解", headers=resident)
        assert url in find(client, "调解", headers=api_token(client, "社工小李"))

    def test_edits_reindex(self, client, session, corpus, search_backend):  # type: ignore[no-untyped-def]
        post = boards.first_post(session, corpus["topics"]["bus"])
        boards.edit_post(
            session,
            actor=corpus["zhang"]
            if post.author_id == corpus["zhang"].id
            else session.get(type(corpus["zhang"]), post.author_id),
            post=post,
            body="站台加了缓坡道",
        )
        session.commit()
        search_backend()
        assert f"/p/{post.id}" in find(client, "缓坡")
        assert f"/p/{post.id}" not in find(client, "老人")


def test_highlighting_is_escaped(client, session, corpus):  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/search", params={"q": "停车场"}).json()
    item = next(i for i in body["items"] if i["url"] == post_url(session, corpus["topics"]["xss"]))
    assert "&lt;script&gt;" in item["snippet_html"] and "<mark>停车场</mark>" in item["snippet_html"]
    assert "<script>" not in item["snippet_html"]


def test_committed_post_is_searchable_at_once_and_rolled_back_never(client, session, corpus, search_backend):  # type: ignore[no-untyped-def]
    topic = corpus["topics"]["noise"]
    boards.reply(session, actor=corpus["zhang"], topic=topic, body="晾衣架被风吹掉了")
    session.rollback()
    search_backend()
    assert find(client, "晾衣架") == []
    post = make_reply(session, topic=topic, author=corpus["zhang"], body="楼下的晾衣架挡住通道")
    search_backend()
    assert find(client, "晾衣架") == [f"/p/{post.id}"]
