"""Search pages: /search with groups and filters, live results for the header box, 类似的民情意见
on the new-topic form, and `forum reindex`."""

from __future__ import annotations

from sqlmodel import delete, func, select
from typer.testing import CliRunner

from factories import make_board, make_reply, make_topic, make_user
from forum.accounts.models import RoleName
from forum.boards import service as boards
from forum.cases import intake as case_intake
from forum.cli import app as cli
from forum.search.models import SearchDoc


def _world(session):  # type: ignore[no-untyped-def]
    board = make_board(session, "minqing", name="民情反映")
    zhang = make_user(session, "七号楼老张")
    staff = make_user(session, "社工小李", role=RoleName.STAFF)
    topic = make_topic(
        session, board=board, author=zhang, title="7号楼院内乱停车", body="消防通道被堵", tags=["tingche"]
    )
    reply = make_reply(session, topic=topic, author=staff, body="已转物业，停车问题会尽快处理")
    case = case_intake.open_case(session, actor=staff, post=boards.first_post(session, topic))
    session.commit()
    return topic, reply, case


def test_search_page_groups_results_and_highlights(client, session):  # type: ignore[no-untyped-def]
    _topic, reply, case = _world(session)
    page = client.get("/search", params={"q": "停車"}).text
    assert "帖子" in page and "回复" in page and "民情意见" in page
    assert "<mark>停车</mark>" in page and f"/cases/{case.id}" in page and f"/p/{reply.id}" in page


def test_search_page_messages(client, session):  # type: ignore[no-untyped-def]
    _world(session)
    assert "至少输入两个字" in client.get("/search", params={"q": "停"}).text
    assert "没有找到" in client.get("/search", params={"q": "火星人"}).text
    long = client.get("/search", params={"q": "停" * 5000})
    assert long.status_code == 200 and "太长" in long.text
    assert client.get("/search", params={"q": "停车", "type": "nope"}).status_code == 422


def test_live_results_fragment(client, session):  # type: ignore[no-untyped-def]
    _topic, *_ = _world(session)
    response = client.get("/search", params={"q": "停车", "live": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    assert 'data-testid="live-hit"' in response.text and "查看全部" in response.text
    assert 'data-testid="search-input"' in client.get("/").text


def test_similar_concerns_while_typing_a_title(client, session):  # type: ignore[no-untyped-def]
    _topic, _reply, case = _world(session)
    fragment = client.get(
        "/search/similar", params={"title": "我们楼下也乱停车"}, headers={"HX-Request": "true"}
    )
    assert f"/cases/{case.id}" in fragment.text and "类似的民情意见" in fragment.text
    assert client.get("/search/similar", params={"title": "今天天气"}).text.strip() == ""


def test_reindex_rebuilds_and_resumes(session, settings, monkeypatch):  # type: ignore[no-untyped-def]
    _world(session)
    monkeypatch.setenv("FORUM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FORUM_DATA_DIR", str(settings.data_dir))
    count = session.exec(select(func.count()).select_from(SearchDoc)).one()
    session.exec(delete(SearchDoc))  # type: ignore[call-overload]
    session.commit()
    result = CliRunner().invoke(cli, ["reindex", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "索引已重建" in result.output
    session.expire_all()
    assert session.exec(select(func.count()).select_from(SearchDoc)).one() == count == 3


def test_search_form_submitted_as_is_works(client, session):  # type: ignore[no-untyped-def]
    """The /search form sends every filter, empty ones included."""
    _world(session)
    query = "q=停车&type=&board=&tag=&status=&author=&date_from=&date_to=&sort=relevance"
    response = client.get(f"/search?{query}")
    assert response.status_code == 200 and "<mark>停车</mark>" in response.text
    assert client.get(f"/api/v1/search?{query}").status_code == 200
