"""The Meilisearch backend: the official client, settings applied from code, documents sent from
the transactional outbox in batches (waiting for each Meilisearch task, retrying with backoff).
If the server is down, posting still works, search falls back to the embedded index and says so,
and the outbox catches up when the server is back: nothing lost, nothing sent twice into the index
(documents are keyed, so a resend replaces)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import meilisearch
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError
from sqlalchemy import delete
from sqlmodel import Session, col, select

from forum.search import documents
from forum.search.embedded import Filters
from forum.search.models import Audience, SearchDoc, SearchOutbox
from forum.search.service import SearchUnavailable

log = logging.getLogger("forum.search")
ERRORS = (MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError, OSError)
SETTINGS = {
    "searchableAttributes": ["title", "tokens", "body"],
    "filterableAttributes": ["kind", "audience", "board_id", "tags", "status", "author_id", "created_ts"],
    "sortableAttributes": ["created_ts"],
    "rankingRules": ["words", "typo", "proximity", "attribute", "exactness", "created_ts:desc"],
    "typoTolerance": {"enabled": False},  # Chinese words have no typos to forgive
    "pagination": {"maxTotalHits": 10000},
}


def meili_id(key: str) -> str:
    return key.replace(":", "-")


def to_meili(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": meili_id(doc["key"]),
        "key": doc["key"],
        "kind": doc["kind"],
        "audience": doc["audience"],
        "title": doc["title"],
        "body": doc["body"],
        "tokens": doc["tokens"],
        "board_id": doc["board_id"],
        "tags": doc["tags"].split(),
        "status": doc["status"],
        "author_id": doc["author_id"],
        "created_ts": int(doc["created_at"].timestamp()),
    }


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MeiliBackend:
    name = "meilisearch"

    def __init__(self, url: str, key: str | None, index: str, *, timeout: int = 5) -> None:
        self.client = meilisearch.Client(url, key, timeout=timeout)
        self.index_name = index
        self.index = self.client.index(index)

    def apply_settings(self, *, wait: bool = True) -> None:
        """Create the index if needed and (re)apply its settings from code."""
        try:
            self.client.create_index(self.index_name, {"primaryKey": "id"})
        except MeilisearchApiError as error:
            if getattr(error, "code", "") != "index_already_exists":
                raise
        task = self.index.update_settings(SETTINGS)
        if wait:
            self._wait(task.task_uid)

    def _wait(self, uid: int, timeout_ms: int = 60_000) -> None:
        task = self.client.wait_for_task(uid, timeout_in_ms=timeout_ms)
        if task.status != "succeeded":
            raise RuntimeError(f"Meilisearch task {uid} {task.status}: {task.error}")

    def search(
        self, session: Session, terms: list[str], filters: Filters, *, limit: int, offset: int
    ) -> tuple[int, list[SearchDoc]]:
        expr = []
        if not filters.staff:
            expr.append(f"audience = {Audience.PUBLIC}")
        if filters.kinds:
            expr.append("kind IN [" + ", ".join(_quote(k) for k in filters.kinds) + "]")
        if filters.board_id is not None:
            expr.append(f"board_id = {int(filters.board_id)}")
        if filters.tag:
            expr.append(f"tags = {_quote(filters.tag)}")
        if filters.status:
            expr.append(f"status = {_quote(filters.status)}")
        if filters.author_id is not None:
            expr.append(f"author_id = {int(filters.author_id)}")
        if filters.since is not None:
            expr.append(f"created_ts >= {int(filters.since.timestamp())}")
        if filters.until is not None:
            expr.append(f"created_ts < {int(filters.until.timestamp())}")
        params: dict[str, Any] = {
            "limit": limit,
            "offset": offset,
            "filter": " AND ".join(expr) or None,
            "matchingStrategy": "all",
            "attributesToRetrieve": ["key"],
        }
        if filters.sort == "newest":
            params["sort"] = ["created_ts:desc"]
        try:
            answer = self.index.search(" ".join(terms), params)
        except ERRORS as error:
            log.warning("meilisearch search failed: %s", error)
            raise SearchUnavailable(str(error)) from error
        keys = [hit["key"] for hit in answer.get("hits", [])]
        rows = (
            {d.key: d for d in session.exec(select(SearchDoc).where(col(SearchDoc.key).in_(keys))).all()}
            if keys
            else {}
        )
        return int(answer.get("estimatedTotalHits", len(keys))), [rows[k] for k in keys if k in rows]

    def send(self, session: Session, *, batch: int = 500) -> int:
        """Send one batch from the outbox and wait until Meilisearch has applied it; then the batch
        leaves the outbox. Returns how many outbox rows were done (0: empty). Raises if the server
        cannot be reached; the rows stay for the next try."""
        rows = list(session.exec(select(SearchOutbox).order_by(col(SearchOutbox.id)).limit(batch)).all())
        if not rows:
            return 0
        keys = list(dict.fromkeys(r.key for r in rows))
        upserts, deletes = [], []
        built = documents.build_many(session, keys)
        for key in keys:
            doc = built[key]
            if doc is None:
                deletes.append(meili_id(key))
            else:
                upserts.append(to_meili(doc))
        if upserts:
            self._wait(self.index.add_documents(upserts, primary_key="id").task_uid)
        if deletes:
            self._wait(self.index.delete_documents(deletes).task_uid)
        last = rows[-1].id
        session.execute(delete(SearchOutbox).where(col(SearchOutbox.id) <= last))
        return len(rows)


def drain(
    backend: MeiliBackend, session_scope: Callable[[], AbstractContextManager[Session]], *, batch: int = 500
) -> int:
    """Send everything in the outbox now (used by the worker loop, reindex and the tests)."""
    done = 0
    while True:
        with session_scope() as session:
            sent = backend.send(session, batch=batch)
        if not sent:
            return done
        done += sent


def run_worker(
    backend: MeiliBackend,
    session_scope: Callable[[], AbstractContextManager[Session]],
    *,
    idle: float = 1.0,
    max_backoff: float = 60.0,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Keep draining the outbox; when the server is unreachable, back off (1 s, 2 s, 4 s … 60 s)."""
    backoff = idle
    settings_applied = False
    while not should_stop():
        try:
            if not settings_applied:
                backend.apply_settings()
                settings_applied = True
            sent = drain(backend, session_scope)
            backoff = idle
            if not sent:
                sleep(idle)
        except (*ERRORS, RuntimeError) as error:
            log.warning("search outbox: %s; retrying in %.0f s", error, backoff)
            sleep(backoff)
            backoff = min(max_backoff, backoff * 2)
