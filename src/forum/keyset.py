"""Keyset pagination: opaque cursors and the "pinned first, then newest" listing that boards and
居务公开 share. A page costs the same wherever it is in the list (no OFFSET scans)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import tuple_
from sqlmodel import Session, col

from forum.errors import Invalid

T = TypeVar("T")


def encode_cursor(*parts: int) -> str:
    return base64.urlsafe_b64encode(".".join(map(str, parts)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> tuple[int, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = tuple(int(p) for p in raw.split("."))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid("分页参数无效", field="cursor") from None
    if len(parts) != arity or any(p < 0 or p > 2**62 for p in parts):
        raise Invalid("分页参数无效", field="cursor")
    return parts


def micros(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


class PinnedPage(NamedTuple, Generic[T]):
    pinned: list[T]  # only on the first page
    page: list[T]
    next_cursor: str | None


def pinned_then_newest(
    session: Session,
    query: Any,
    *,
    model: type[T],
    time_field: str,
    cursor: str | None,
    limit: int,
    max_pinned: int = 20,
) -> PinnedPage[T]:
    """Rows of `query` (a select of `model`, already filtered): the pinned ones newest first on
    the first page, then the others by (`time_field`, id) descending, `limit` a page. The cursor
    is the (time, id) of the last row of the previous page."""
    when, ident = col(getattr(model, time_field)), col(model.id)  # type: ignore[attr-defined]
    pinned_col = col(model.is_pinned)  # type: ignore[attr-defined]
    newest = (when.desc(), ident.desc())
    pinned: list[T] = []
    if cursor is None:
        first = query.where(pinned_col.is_(True)).order_by(*newest).limit(max_pinned)
        pinned = list(session.exec(first).all())
    rest = query.where(pinned_col.is_(False))
    if cursor is not None:
        at, last_id = decode_cursor(cursor, 2)
        rest = rest.where(tuple_(when, ident) < tuple_(from_micros(at), last_id))
    page = list(session.exec(rest.order_by(*newest).limit(limit + 1)).all())
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        last = page[-1]
        next_cursor = encode_cursor(micros(getattr(last, time_field)), last.id)  # type: ignore[attr-defined]
    return PinnedPage(pinned, page, next_cursor)
