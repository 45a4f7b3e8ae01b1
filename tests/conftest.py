"""Test fixtures. Every test gets a fresh database built by the Alembic migrations: a copy of a
migrated SQLite template file, or on PostgreSQL (FORUM_TEST_DATABASE_URL) a database cloned from a
migrated template database."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from forum.app import create_app
from forum.config import Settings
from forum.db import make_engine
from forum.migrate import upgrade
from generous_limits import GENEROUS_LIMITS

PG_URL = os.environ.get("FORUM_TEST_DATABASE_URL")


def _pg_admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database to clone: a file path (SQLite) or a database name (PostgreSQL)."""
    if PG_URL:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"forum_tpl_{worker}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(_pg_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(
            Settings(database_url=make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        )
        upgrade(engine)
        engine.dispose()
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "forum.db"
        engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield str(path)


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        name = f"forum_t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(_pg_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path / "forum.db"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,  # type: ignore[call-arg]
        secret_key="test-secret-key",
        max_upload_bytes=2 * 1024 * 1024,
        max_request_bytes=6 * 1024 * 1024,
        max_image_pixels=4_000_000,
        periodic_seconds=0,
        # Tests look at a visitor's page right after a write; the page cache (15 s stale in
        # production) has its own tests, tests/test_pagecache.py.
        anon_cache_seconds=0,
        **GENEROUS_LIMITS,  # type: ignore[arg-type]
    )


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def engine(app):  # type: ignore[no-untyped-def]
    return app.state.engine


@pytest.fixture
def session(engine) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A session for calling services directly; tests commit when they want the app to see data."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_client(app):  # type: ignore[no-untyped-def]
    """More browsers: each call returns a new TestClient with its own cookies."""
    clients: list[TestClient] = []

    def factory() -> TestClient:
        c = TestClient(app)
        clients.append(c)
        return c

    yield factory
    for c in clients:
        c.close()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters in tests: the real ones cost ~0.1 s a hash, by design."""
    from argon2 import PasswordHasher

    from forum import security

    saved = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = saved
