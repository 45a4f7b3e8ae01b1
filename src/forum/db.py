"""Engine and sessions. SQLite gets WAL, foreign keys and write-intent transactions."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from forum.config import Settings

# Set for requests that will write. On SQLite such transactions start with BEGIN IMMEDIATE, so
# concurrent writers queue on the busy timeout instead of failing when a read lock cannot be
# upgraded (SQLITE_BUSY without waiting). Reads keep plain deferred transactions.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def make_engine(settings: Settings) -> Engine:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=settings.sql_echo,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, echo=settings.sql_echo, pool_size=10, max_overflow=20, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours (SQLAlchemy's recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def begin(session: Session, *, write: bool) -> None:
    """Start the session's transaction now, as a write transaction if asked."""
    token = write_intent.set(write)
    try:
        session.connection()
    finally:
        write_intent.reset(token)


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        begin(session, write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# The search index follows every session's commits (see forum.search.sync).
import forum.search.sync  # noqa: E402, F401
