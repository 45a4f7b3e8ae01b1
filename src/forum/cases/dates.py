"""Deadlines in community time: a case is due at the end of a day in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from forum.errors import Invalid
from forum.timeutil import SHANGHAI, utcnow


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


def due_after(days: int, start: datetime) -> datetime:
    """Due at the end of the day `days` days on."""
    return end_of_day(start.astimezone(SHANGHAI).date() + timedelta(days=days))


def parse_due(due: date | str) -> date:
    """A due date from a form or a client: today at the earliest, a year ahead at the latest."""
    if isinstance(due, str):
        try:
            due = date.fromisoformat(due.strip())
        except ValueError:
            raise Invalid("日期格式应为 2025-01-31", field="due_date") from None
    today = utcnow().astimezone(SHANGHAI).date()
    if due < today or due > today + timedelta(days=366):
        raise Invalid("期限须在今天到一年之内", field="due_date")
    return due
