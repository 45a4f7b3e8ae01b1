"""Rate limits: counters in the database (table rate_counter), so every worker and every process
on the database sees the same counts. Fixed windows: each (key, window start) row is bumped with
one atomic INSERT … ON CONFLICT DO UPDATE … RETURNING (PostgreSQL; SQLite ≥ 3.35)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.errors import RateLimited
from forum.guards import trust
from forum.guards.context import Rule, current
from forum.guards.models import RateCounter
from forum.timeutil import utcnow

ACTION_LABELS = {
    "topic": "发帖",
    "reply": "回复",
    "upload": "上传图片",
    "report": "举报",
    "register": "注册",
}
# Old windows are purged after this; longer than the longest window (registrations: a day).
KEEP = timedelta(days=2)


def window(rule: Rule, now: datetime | None = None) -> tuple[datetime, int]:
    """The start of the window `now` falls in, and the seconds until it ends."""
    moment = int((now or utcnow()).timestamp())
    size = max(1, int(rule.window.total_seconds()))
    start = moment - moment % size
    return datetime.fromtimestamp(start, UTC), start + size - moment


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 2 * 3600:
        return f"{math.ceil(seconds / 60)} 分钟"
    return f"{math.ceil(seconds / 3600)} 小时"


def bump(session: Session, key: str, start: datetime, amount: int = 1) -> int:
    """Add `amount` to the counter of (key, start) and return the new count, atomically."""
    table = RateCounter.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .values(key=key, window_start=start, count=amount)
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start], set_={"count": table.c.count + amount}
        )
        .returning(table.c.count)
    )
    return int(session.execute(statement).scalar_one())


def count(session: Session, key: str, start: datetime) -> int:
    value = session.exec(
        select(RateCounter.count).where(RateCounter.key == key, RateCounter.window_start == start)
    ).first()
    return value or 0


def _take(session: Session, key: str, rule: Rule, amount: int, label: str, now: datetime | None) -> None:
    start, retry = window(rule, now)
    if bump(session, key, start, amount) > rule.limit:
        raise RateLimited(f"{label}太频繁，请 {wait_text(retry)}后再试", retry_after=retry)


def hit(
    session: Session, *, action: str, user: User | None = None, amount: int = 1, now: datetime | None = None
) -> None:
    """Count `amount` of `action` ("topic", "reply", "upload", "report", "register") for the user
    and for the request's address; raise RateLimited when either goes over its limit.

    Counted in the caller's transaction, so an action that fails or is refused rolls its count
    back with it: only what was done counts. Staff have no per-account limit. Outside a request
    nothing is limited (see forum.guards.context)."""
    guard = current()
    if guard is None or amount <= 0:
        return
    limits = guard.limits
    label = ACTION_LABELS.get(action, "操作")
    # Always the account's counter first, then the address's: one order, so concurrent
    # requests cannot lock the two rows in opposite orders.
    if user is not None and action in limits.user and not trust.is_staff(user):
        rules = limits.new_user if trust.is_new(session, user, limits) else limits.user
        _take(session, f"{action}:u:{user.id}", rules[action], amount, label, now)
    if guard.ip and action in limits.ip:
        bucket, rule = limits.ip[action]
        _take(session, f"{bucket}:ip:{guard.ip}", rule, amount, label, now)


# --- logins --------------------------------------------------------------------------------------


def _login_keys(username_key: str) -> list[tuple[str, Rule]]:
    guard = current()
    if guard is None:
        return []
    keys = [(f"login:a:{username_key[:64]}", guard.limits.login_account)]
    if guard.ip:
        keys.append((f"login:ip:{guard.ip}", guard.limits.login_ip))
    return keys


def check_login(session: Session, *, username_key: str, now: datetime | None = None) -> None:
    """Refuse to even try a password once the account or the address has had too many failures
    in the window: guessing stops, whatever the guess."""
    for key, rule in _login_keys(username_key):
        start, retry = window(rule, now)
        if count(session, key, start) >= rule.limit:
            raise RateLimited(f"登录失败次数过多，请 {wait_text(retry)}后再试", retry_after=retry)


def record_login_failure(session: Session, *, username_key: str, now: datetime | None = None) -> None:
    """Count a failed login, for the name tried (whether or not it exists) and the address.

    The one place a service commits: the request is about to fail and roll back, and a failure
    must count all the same. Call it before anything else is written in the request."""
    keys = _login_keys(username_key)
    if not keys:
        return
    for key, rule in keys:
        bump(session, key, window(rule, now)[0])
    session.commit()


def clear_login_failures(session: Session, *, username_key: str) -> None:
    """A successful login forgets the account's failures (not the address's)."""
    for key, _rule in _login_keys(username_key)[:1]:
        session.exec(delete(RateCounter).where(col(RateCounter.key) == key))  # type: ignore[call-overload]


def purge(session: Session, *, now: datetime | None = None) -> int:
    """Delete counters of windows long over (the periodic job calls this)."""
    result = session.exec(  # type: ignore[call-overload]
        delete(RateCounter).where(col(RateCounter.window_start) < (now or utcnow()) - KEEP)
    )
    return int(result.rowcount or 0)
