"""Sensitive words (with the version stamp every worker checks), rate-limit counters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

WORD_MAX = 20
NOTE_MAX = 100


class WordLevel(StrEnum):
    BLOCK = "block"  # refused, with the word named; the draft stays in the form
    HOLD = "hold"  # saved but held for staff review, seen only by its author and staff
    MASK = "mask"  # saved with the word replaced by asterisks


class SensitiveWord(SQLModel, table=True):
    __tablename__ = "sensitive_word"

    id: int | None = Field(default=None, primary_key=True)
    # As the admin typed it; matching uses its normalised form (unique, so no duplicates).
    word: str = Field(max_length=WORD_MAX)
    normalized: str = Field(max_length=WORD_MAX * 3, unique=True)
    level: str = Field(max_length=8)
    note: str = Field(default="", max_length=NOTE_MAX)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))


class WordListVersion(SQLModel, table=True):
    """One row whose stamp changes with every edit of the list: each worker compares it with the
    stamp of its cached matcher, so an edit takes effect everywhere at the next check."""

    __tablename__ = "word_list_version"

    id: int = Field(default=1, primary_key=True)
    stamp: str = Field(max_length=32)


class RateCounter(SQLModel, table=True):
    """How many times `key` (an action by one account or one address) happened in the window that
    starts at window_start. Bumped with one atomic UPSERT."""

    __tablename__ = "rate_counter"
    __table_args__ = (Index("ix_rate_counter_window", "window_start"),)

    key: str = Field(max_length=120, primary_key=True)
    window_start: datetime = Field(sa_column=Column(AwareDateTime(), primary_key=True, nullable=False))
    count: int = 0
