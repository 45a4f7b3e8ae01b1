"""Keeping the index in step with the database: every flush notes which documents changed; just
before the transaction commits, those documents are rebuilt in the embedded index (and queued in
the outbox for a search server) — in the same transaction, so a committed post is searchable at
once and a rolled-back one never is."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import delete, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

from forum.boards.models import Post, Topic, TopicTag
from forum.cases.models import Case, CaseEvent, Meeting
from forum.search import documents
from forum.search.models import SearchDoc, SearchOutbox
from forum.timeutil import utcnow

_PENDING = "search_pending"
_TOPICS_ALL = "search_topics_all"
_TOPICS_FIRST = "search_topics_first"
# Engines whose content also goes to a search server through the outbox.
_OUTBOX: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def use_outbox(engine: Engine, on: bool = True) -> None:
    _OUTBOX[engine] = on


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(OrmSession, "after_flush")
def _collect(session: OrmSession, _context: Any) -> None:
    pending: set[str] = session.info.setdefault(_PENDING, set())
    topics_all: set[int] = session.info.setdefault(_TOPICS_ALL, set())
    topics_first: set[int] = session.info.setdefault(_TOPICS_FIRST, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Post):
            pending.add(f"post:{obj.id}")
        elif isinstance(obj, Topic):
            if obj in session.new:
                continue
            if _changed(obj, "hidden_at", "deleted_at", "held_at", "board_id"):
                topics_all.add(obj.id)  # type: ignore[arg-type]
            elif _changed(obj, "title"):
                topics_first.add(obj.id)  # type: ignore[arg-type]
        elif isinstance(obj, TopicTag):
            topics_first.add(obj.topic_id)
        elif isinstance(obj, Case):
            pending.add(f"case:{obj.id}")
        elif isinstance(obj, CaseEvent):
            pending.add(f"case:{obj.case_id}")
        elif isinstance(obj, Meeting):
            pending.add(f"meeting:{obj.id}")


@event.listens_for(OrmSession, "before_commit")
def _apply(session: OrmSession) -> None:
    if session.info.get(_PENDING) is None:
        return
    session.flush()
    keys: set[str] = session.info.pop(_PENDING, set())
    keys.update(documents.post_keys_of_topics(session, session.info.pop(_TOPICS_ALL, set())))  # type: ignore[arg-type]
    keys.update(documents.first_post_keys(session, session.info.pop(_TOPICS_FIRST, set())))  # type: ignore[arg-type]
    if keys:
        write(session, sorted(keys))


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    if not session.in_transaction():
        for name in (_PENDING, _TOPICS_ALL, _TOPICS_FIRST):
            session.info.pop(name, None)


def write(session: OrmSession, keys: list[str], *, outbox: bool | None = None) -> None:
    """Rebuild these documents in the embedded index (and queue them for the search server)."""
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        docs = [d for d in documents.build_many(session, chunk).values() if d is not None]
        session.execute(delete(SearchDoc).where(SearchDoc.key.in_(chunk)))  # type: ignore[attr-defined]
        if docs:
            session.execute(SearchDoc.__table__.insert(), docs)  # type: ignore[attr-defined]
    if outbox if outbox is not None else _OUTBOX.get(session.get_bind(), False):  # type: ignore[arg-type]
        now = utcnow()
        session.execute(SearchOutbox.__table__.insert(), [{"key": key, "created_at": now} for key in keys])  # type: ignore[attr-defined]
