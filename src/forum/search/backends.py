"""Choosing the search backend from settings."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from forum.config import Settings
from forum.search import sync
from forum.search.service import Backend, EmbeddedBackend


def make_backend(settings: Settings, engine: Engine) -> Backend:
    if settings.search_backend == "meilisearch":
        from forum.search.meili import MeiliBackend

        if not settings.meili_url:
            raise ValueError("FORUM_SEARCH_BACKEND=meilisearch needs FORUM_MEILI_URL")
        sync.use_outbox(engine)
        return MeiliBackend(settings.meili_url, settings.meili_key, settings.meili_index)
    if settings.search_backend != "embedded":
        raise ValueError(f"unknown FORUM_SEARCH_BACKEND {settings.search_backend!r}")
    return EmbeddedBackend()
