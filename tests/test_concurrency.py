"""100 replies posted at once to one topic against a running server (two worker processes):
100 distinct, gap-free floors and no errors — on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import col, select

from factories import PASSWORD, make_board, make_topic, make_user
from forum.boards.models import Post, Topic
from live_server import live_server

pytestmark = pytest.mark.slow


def test_hundred_simultaneous_replies_get_distinct_gap_free_floors(session, database_url, tmp_path):  # type: ignore[no-untyped-def]
    board = make_board(session, "yishi")
    author = make_user(session, "七号楼老张")
    topic = make_topic(session, board=board, author=author)
    names = [f"resident{i}" for i in range(10)]
    for name in names:
        make_user(session, name)
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    with (
        live_server(database_url, data_dir, workers=2) as base,
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        tokens = [
            http.post("/api/v1/tokens", json={"username": n, "password": PASSWORD}).json()["access_token"]
            for n in names
        ]

        def post(i: int) -> httpx.Response:
            with httpx.Client(base_url=base, timeout=60) as own:
                return own.post(
                    f"/api/v1/topics/{topic.id}/replies",
                    json={"body": f"第{i}条回复"},
                    headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                )

        with ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(post, range(100)))
    assert [r.status_code for r in responses] == [201] * 100, [
        r.text for r in responses if r.status_code != 201
    ]
    floors = sorted(r.json()["floor"] for r in responses)
    assert floors == list(range(2, 102))
    session.expire_all()
    stored = session.exec(select(Post.floor).where(Post.topic_id == topic.id).order_by(col(Post.floor))).all()
    assert stored == list(range(1, 102))
    refreshed = session.get(Topic, topic.id)
    assert refreshed.floor_count == 101 and refreshed.reply_count == 100
