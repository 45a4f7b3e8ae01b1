"""Apps with some guard limits lowered, sharing the test's database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from forum.app import create_app
from forum.guards import service as guards
from forum.guards.context import Limits, guarding


@pytest.fixture
def make_app(settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """make_app(**settings) -> (app, client): another app instance on the same database."""
    made: list[tuple[FastAPI, TestClient]] = []

    def factory(**overrides: Any) -> tuple[FastAPI, TestClient]:
        app = create_app(settings.model_copy(update=overrides))
        client = TestClient(app)
        made.append((app, client))
        return app, client

    yield factory
    for app, client in made:
        client.close()
        app.state.engine.dispose()


@pytest.fixture
def words(session):  # type: ignore[no-untyped-def]
    """A small word list at each level, added by an admin through the service."""
    from factories import make_user
    from forum.accounts.models import RoleName

    admin = make_user(session, "词表管理员", role=RoleName.ADMIN)
    guards.add_words(session, actor=admin, words="代开发票 VX加我", level="block", note="广告")
    guards.add_words(session, actor=admin, words="维权群", level="hold")
    guards.add_words(session, actor=admin, words="废物 sb", level="mask")
    session.commit()
    return admin


@pytest.fixture
def guarded(settings):  # type: ignore[no-untyped-def]
    """Run service calls as if inside a request from 10.0.0.1, with some limits changed."""

    def enter(ip: str = "10.0.0.1", **overrides: Any) -> Any:
        return guarding(Limits.from_settings(settings.model_copy(update=overrides)), ip)

    return enter
