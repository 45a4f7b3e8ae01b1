"""The schema built by the Alembic migrations is exactly the one the models describe."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import forum.models  # noqa: F401
from forum.migrate import downgrade, include_object, upgrade


def test_migrated_schema_matches_models(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_reference_data_is_seeded(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        roles = conn.execute(text("SELECT name FROM role ORDER BY position")).scalars().all()
        categories = conn.execute(text("SELECT name FROM category ORDER BY position")).scalars().all()
    assert roles == ["visitor", "resident", "volunteer", "grid_worker", "staff", "unit_contact", "admin"]
    assert categories == [
        "消防治安",
        "不文明养狗",
        "小区停车",
        "施工扰民",
        "邻里纠纷",
        "物业矛盾",
        "娱乐配套",
        "福利保障",
        "环境整治",
    ]


def test_downgrade_to_base_and_up_again(engine):  # type: ignore[no-untyped-def]
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "post" in inspect(engine).get_table_names()


def test_a_database_at_the_previous_head_upgrades_with_nothing_lost(settings, tmp_path):  # type: ignore[no-untyped-def]
    """0008 → head: cases keep every field; a resident's rating, once stored as 已回访, says 已评价
    now; a staff call-back stays 已回访; posts and their text are untouched."""
    from sqlalchemy import MetaData

    from forum.config import Settings
    from forum.db import make_engine

    if settings.database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = settings.database_url  # a fresh, empty database of its own (cloned per test)
    engine = make_engine(Settings(_env_file=None, database_url=url, data_dir=tmp_path))  # type: ignore[call-arg]
    if not url.startswith("sqlite"):
        downgrade(engine, "base")
    upgrade(engine, "0008guards")
    now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        conn.execute(
            t["user"].insert(),
            [
                {
                    "id": 1,
                    "username": "七号楼老张",
                    "username_key": "七号楼老张",
                    "password_hash": "x",
                    "role": "resident",
                    "is_active": True,
                    "created_at": now,
                },
                {
                    "id": 2,
                    "username": "社工小李",
                    "username_key": "社工小李",
                    "password_hash": "x",
                    "role": "staff",
                    "is_active": True,
                    "created_at": now,
                },
            ],
        )
        conn.execute(
            t["board"].insert(),
            [
                {
                    "id": 1,
                    "slug": "minqing",
                    "name": "民情反映",
                    "description": "",
                    "position": 1,
                    "topic_count": 1,
                    "post_count": 1,
                    "staff_only_topics": False,
                }
            ],
        )
        conn.execute(
            t["topic"].insert(),
            [
                {
                    "id": 1,
                    "board_id": 1,
                    "author_id": 1,
                    "title": "电梯停运",
                    "created_at": now,
                    "last_posted_at": now,
                    "floor_count": 1,
                    "reply_count": 0,
                    "is_pinned": False,
                    "is_featured": False,
                    "is_locked": False,
                    "view_count": 0,
                }
            ],
        )
        conn.execute(
            t["post"].insert(),
            [
                {
                    "id": 1,
                    "topic_id": 1,
                    "floor": 1,
                    "author_id": 1,
                    "body": "电梯**停了**",
                    "body_html": "<p>电梯</p>",
                    "created_at": now,
                    "like_count": 0,
                    "sub_count": 0,
                }
            ],
        )
        base = {
            "description": "电梯停了",
            "version": 3,
            "priority": "normal",
            "source": "forum",
            "opened_by_id": 2,
            "poster_id": 1,
            "building": "7",
            "location": "",
            "is_private": False,
            "created_at": now,
            "updated_at": now,
            "resolution_count": 1,
            "support_count": 2,
            "resolved_at": now,
            "followed_up_at": now,
            "topic_id": 1,
            "rating_comment": None,
            "closed_at": None,
        }
        conn.execute(
            t["case_file"].insert(),
            [
                {
                    **base,
                    "id": 1,
                    "title": "居民评价过",
                    "status": "followed_up",
                    "rating": "satisfied",
                    "rating_comment": "谢谢",
                },
                {**base, "id": 2, "title": "社工回访过", "status": "followed_up", "rating": None},
                {
                    **base,
                    "id": 3,
                    "title": "评价后已归档",
                    "status": "closed",
                    "rating": "basically",
                    "closed_at": now,
                },
                # 不满意, resolved again, then a staff call-back: the old code kept the rating.
                {
                    **base,
                    "id": 4,
                    "title": "不满意后社工回访",
                    "status": "followed_up",
                    "rating": "unsatisfied",
                },
            ],
        )
        conn.execute(
            t["case_event"].insert(),
            [
                {
                    "case_id": 1,
                    "actor_id": 1,
                    "kind": "rate",
                    "from_status": "resolved",
                    "to_status": "followed_up",
                    "note": "",
                    "detail": "评价：满意",
                    "is_public": True,
                    "created_at": now,
                },
                {
                    "case_id": 2,
                    "actor_id": 2,
                    "kind": "follow_up",
                    "from_status": "resolved",
                    "to_status": "followed_up",
                    "note": "电话回访",
                    "detail": "",
                    "is_public": True,
                    "created_at": now,
                },
            ],
        )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, title, status, rating, rating_comment, rated_at, followed_up_at, support_count,"
                " building, entrance, contact FROM case_file ORDER BY id"
            )
        ).all()
        post = conn.execute(text("SELECT body, origin FROM post WHERE id = 1")).one()
        moves = conn.execute(text("SELECT kind, to_status FROM case_event ORDER BY id")).all()
    assert [(r.id, r.status, r.rating) for r in rows] == [
        (1, "rated", "satisfied"),
        (2, "followed_up", None),
        (3, "closed", "basically"),
        (4, "followed_up", "unsatisfied"),
    ]
    assert rows[3].followed_up_at is not None and rows[3].rated_at is None
    assert [tuple(m) for m in moves] == [("rate", "rated"), ("follow_up", "followed_up")]
    assert (
        rows[0].rated_at is not None and rows[0].followed_up_at is None and rows[0].rating_comment == "谢谢"
    )
    assert rows[1].followed_up_at is not None and rows[1].rated_at is None
    assert rows[2].rated_at is not None and rows[2].followed_up_at is None
    assert all(
        r.support_count == 2 and r.building == "7" and r.entrance == "" and r.contact == "" for r in rows
    )
    assert tuple(post) == ("电梯**停了**", "")
    engine.dispose()
