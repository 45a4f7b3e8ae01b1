"""The schema built by the Alembic migrations is exactly the one the models describe."""

from __future__ import annotations

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
