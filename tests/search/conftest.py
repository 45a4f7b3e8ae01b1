"""Search backends under test: the embedded index always; Meilisearch only against a real server
(FORUM_MEILI_URL, optionally FORUM_MEILI_KEY) — never a fake."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from forum.db import session_scope
from forum.search import sync
from forum.search.service import EmbeddedBackend

MEILI_URL = os.environ.get("FORUM_MEILI_URL")
MEILI_KEY = os.environ.get("FORUM_MEILI_KEY")


@pytest.fixture(params=["embedded", "meilisearch"])
def search_backend(request, app) -> Iterator[Callable[[], None]]:  # type: ignore[no-untyped-def]
    """Installs the backend on the app; yields `settle()`, which makes what was committed searchable
    (a no-op for the embedded index, which is written in the same transaction)."""
    if request.param == "embedded":
        app.state.search = EmbeddedBackend()
        yield lambda: None
        return
    if not MEILI_URL:
        pytest.skip("set FORUM_MEILI_URL to run the contract against a real Meilisearch server")
    from forum.search.meili import MeiliBackend, drain

    backend = MeiliBackend(MEILI_URL, MEILI_KEY, f"forum_test_{uuid.uuid4().hex[:10]}")
    backend.apply_settings()
    app.state.search = backend
    sync.use_outbox(app.state.engine)
    yield lambda: drain(backend, lambda: session_scope(app.state.engine, write=True))
    sync.use_outbox(app.state.engine, False)
    backend.client.delete_index(backend.index_name)
