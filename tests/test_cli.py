"""The `forum` command: migrate, createadmin, seed-demo, and the generated secret key."""

from __future__ import annotations

import random

import pytest
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from forum.accounts.models import RoleName, User
from forum.boards.models import Board, Post, Topic
from forum.cases.models import Case
from forum.cli import app
from forum.config import Settings
from forum.demo import content, seed
from forum.notices.models import Notice

runner = CliRunner()


@pytest.fixture
def env(settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORUM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FORUM_DATA_DIR", str(settings.data_dir))
    return settings


def test_migrate_and_createadmin(env, engine):  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["createadmin", "--username", "站长", "--password", "admin-pass-123"])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "站长")).one()
        assert user.role == RoleName.ADMIN
    bad = runner.invoke(app, ["createadmin", "--username", "x", "--password", "admin-pass-123"])
    assert bad.exit_code == 1 and "用户名" in bad.output


def test_secret_key_is_generated_once_and_kept(tmp_path):  # type: ignore[no-untyped-def]
    first = Settings(_env_file=None, data_dir=tmp_path).resolved_secret_key  # type: ignore[call-arg]
    second = Settings(_env_file=None, data_dir=tmp_path).resolved_secret_key  # type: ignore[call-arg]
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    other = Settings(_env_file=None, data_dir=tmp_path / "elsewhere").resolved_secret_key  # type: ignore[call-arg]
    assert other != first


def test_seed_demo_writes_a_community_once(env, engine, monkeypatch):  # type: ignore[no-untyped-def]
    # The full demo takes a while; a slice of it exercises the same code.
    full = content.build_topics
    monkeypatch.setattr(seed, "build_topics", lambda rng, now: full(random.Random(7), now)[:25])
    result = runner.invoke(app, ["seed-demo"])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Board)).one() == len(content.BOARDS)
        # Besides the 25 demo topics, each published notice has its comment topic, and each public
        # 我要反映 its thread on 民情反映 (written with its case, unlike a topic handed in later).
        notice_topics = session.exec(select(func.count(col(Notice.topic_id)))).one()
        assert notice_topics == 6
        reported = session.exec(
            select(func.count())
            .select_from(Case)
            .join(Topic, col(Topic.id) == Case.topic_id)
            .where(Case.source == "report", col(Topic.created_at) == col(Case.created_at))
        ).one()
        assert reported >= 4
        assert session.exec(select(func.count()).select_from(Topic)).one() == 25 + notice_topics + reported
        assert session.exec(select(func.count()).select_from(Post)).one() > 100
        verified = session.exec(
            select(func.count()).select_from(User).where(User.verified_at.is_not(None))
        ).one()  # type: ignore[union-attr]
        assert verified > 10
    again = runner.invoke(app, ["seed-demo"])
    assert again.exit_code == 0 and "跳过" in again.output
