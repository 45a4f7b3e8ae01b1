"""Time is stored in UTC and shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops tzinfo on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


def humanize(value: datetime, now: datetime | None = None) -> str:
    """Tieba-style relative time: 刚刚, 5分钟前, 3小时前, 昨天 08:30, 11-02, 2025-11-02."""
    now = now or utcnow()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    lv, ln = local(value), local(now)
    if seconds < 86400 and lv.date() == ln.date():
        return f"{int(seconds // 3600)}小时前"
    if (ln.date() - lv.date()).days == 1:
        return f"昨天 {lv:%H:%M}"
    if lv.year == ln.year:
        return f"{lv:%m-%d %H:%M}"
    return f"{lv:%Y-%m-%d}"
