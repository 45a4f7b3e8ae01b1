"""The embedded search index (one row a searchable document; SQLite FTS5 or a PostgreSQL GIN index
over its tokens is kept by the database itself) and the outbox for an external search server."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow


class DocKind(StrEnum):
    TOPIC = "topic"
    REPLY = "reply"
    NOTICE = "notice"  # a topic on a staff-only board (居务公开)
    CASE = "case"
    MEETING = "meeting"


class Audience(StrEnum):
    PUBLIC = "public"
    STAFF = "staff"  # private cases: staff only


class SearchDoc(SQLModel, table=True):
    __tablename__ = "search_doc"
    # No index on the filter columns on purpose: the full-text match is always the selective part,
    # and an index on kind lets SQLite's planner walk every reply and probe FTS for each.

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)  # "post:12", "case:3", "meeting:1"
    kind: str = Field(max_length=10)
    audience: str = Field(default=Audience.PUBLIC, max_length=8)
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Normalised, segmented, space-separated: what FTS5 / the GIN index actually search.
    tokens: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    board_id: int | None = None
    topic_id: int | None = None
    post_id: int | None = None
    case_id: int | None = None
    meeting_id: int | None = None
    tags: str = Field(default="", max_length=200)  # " tingche wuye " (category slugs)
    status: str = Field(default="", max_length=16)
    author_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class SearchOutbox(SQLModel, table=True):
    """Documents to send to the search server, written in the same transaction as the content."""

    __tablename__ = "search_outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class SearchState(SQLModel, table=True):
    """Small named values for the index: reindex checkpoints."""

    __tablename__ = "search_state"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(default="", max_length=200)


class SearchHitPublic(BaseModel):
    kind: str
    url: str
    title: str
    title_html: str
    snippet_html: str
    created_at: datetime
    author: str | None = None
    board: str | None = None
    floor: int | None = None
    status: str | None = None


class SearchResultsPublic(BaseModel):
    query: str
    total: int
    page: int
    pages: int
    message: str | None = None
    items: list[SearchHitPublic]
