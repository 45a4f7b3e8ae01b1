"""The outbox to Meilisearch: content saved while the server is unreachable waits in the outbox,
posting still works, search falls back and says so; with a real server (FORUM_MEILI_URL) the
outbox catches up."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlmodel import func, select

from factories import api_token, make_board, make_reply, make_topic, make_user
from forum.db import session_scope
from forum.search import sync
from forum.search.meili import ERRORS, MeiliBackend, drain, run_worker
from forum.search.models import SearchOutbox

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture
def offline(app):  # type: ignore[no-untyped-def]
    backend = MeiliBackend(UNREACHABLE, None, "forum", timeout=1)
    app.state.search = backend
    sync.use_outbox(app.state.engine)
    yield backend
    sync.use_outbox(app.state.engine, False)


def outbox_size(session) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(SearchOutbox)).one()


def test_posting_works_and_waits_in_the_outbox_while_the_server_is_down(client, session, app, offline):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    make_user(session, "七号楼老张")
    headers = api_token(client, "七号楼老张")
    response = client.post(
        f"/api/v1/boards/{board.id}/topics",
        headers=headers,
        json={"title": "电梯又停了", "body": "3号楼电梯"},
    )
    assert response.status_code == 201
    assert outbox_size(session) == 1
    with pytest.raises(ERRORS):
        drain(offline, lambda: session_scope(app.state.engine, write=True))
    assert outbox_size(session) == 1  # nothing lost
    body = client.get("/api/v1/search", params={"q": "电梯"}).json()
    assert "暂时不可用" in body["message"] and body["items"][0]["title"] == "电梯又停了"


def test_worker_backs_off_while_unreachable(session, app, offline):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    make_topic(session, board=board, author=make_user(session, "七号楼老张"), title="停车难")
    sleeps: list[float] = []
    run_worker(
        offline,
        lambda: session_scope(app.state.engine, write=True),
        idle=1,
        max_backoff=8,
        should_stop=lambda: len(sleeps) >= 5,
        sleep=sleeps.append,
    )
    assert sleeps == [1, 2, 4, 8, 8]
    assert outbox_size(session) == 1


@pytest.mark.skipif(
    not os.environ.get("FORUM_MEILI_URL"), reason="needs a real Meilisearch (FORUM_MEILI_URL)"
)
def test_outbox_catches_up_when_the_server_is_back(client, session, app, offline):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    alice = make_user(session, "七号楼老张")
    topic = make_topic(session, board=board, author=alice, title="电梯又停了")
    make_reply(session, topic=topic, author=alice, body="电梯今天修好了")
    assert outbox_size(session) == 2
    live = MeiliBackend(
        os.environ["FORUM_MEILI_URL"],
        os.environ.get("FORUM_MEILI_KEY"),
        f"forum_test_{uuid.uuid4().hex[:10]}",
    )
    try:
        live.apply_settings()
        app.state.search = live
        assert drain(live, lambda: session_scope(app.state.engine, write=True)) == 2
        assert outbox_size(session) == 0
        body = client.get("/api/v1/search", params={"q": "电梯"}).json()
        assert body["message"] is None and len(body["items"]) == 2
        assert live.index.get_stats().number_of_documents == 2  # nothing duplicated
    finally:
        live.client.delete_index(live.index_name)
