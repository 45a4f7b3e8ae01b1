"""Who is asking, for the guards: the limits of this app and the address of this request.

Services learn it here rather than through every signature: a middleware sets it for each HTTP
request. Outside a request (the CLI, the demo seed, tests calling services) there is none, and
rate limits and trust levels do not apply — those callers are the operators themselves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from forum.config import Settings


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta


@dataclass(frozen=True)
class Limits:
    user: dict[str, Rule]  # per account, by action
    new_user: dict[str, Rule]  # per account still at the new-user trust level
    ip: dict[str, tuple[str, Rule]]  # per address: action -> (shared bucket, rule)
    login_account: Rule
    login_ip: Rule
    trust_days: int
    trust_posts: int

    @classmethod
    def from_settings(cls, s: Settings) -> Limits:
        window = timedelta(minutes=s.rate_window_minutes)

        def rules(**limits: int) -> dict[str, Rule]:
            return {action: Rule(limit, window) for action, limit in limits.items()}

        return cls(
            user=rules(
                topic=s.topics_per_window,
                reply=s.replies_per_window,
                upload=s.uploads_per_window,
                report=s.reports_per_window,
            ),
            new_user=rules(
                topic=s.new_user_topics_per_window,
                reply=s.new_user_replies_per_window,
                upload=s.new_user_uploads_per_window,
                report=s.new_user_reports_per_window,
            ),
            ip={
                "topic": ("post", Rule(s.ip_posts_per_window, window)),
                "reply": ("post", Rule(s.ip_posts_per_window, window)),
                "upload": ("upload", Rule(s.ip_uploads_per_window, window)),
                "report": ("report", Rule(s.ip_reports_per_window, window)),
                "register": ("register", Rule(s.registrations_per_ip_per_day, timedelta(days=1))),
            },
            login_account=Rule(s.login_failures_per_account, timedelta(minutes=s.login_window_minutes)),
            login_ip=Rule(s.login_failures_per_ip, timedelta(minutes=s.login_window_minutes)),
            trust_days=s.trust_days,
            trust_posts=s.trust_posts,
        )


@dataclass(frozen=True)
class Guarding:
    limits: Limits
    ip: str


_current: ContextVar[Guarding | None] = ContextVar("forum_guarding", default=None)


def current() -> Guarding | None:
    return _current.get()


@contextmanager
def guarding(limits: Limits, ip: str) -> Iterator[Guarding]:
    """Apply the guards to what runs inside (a request; a test calling services)."""
    token = _current.set(Guarding(limits, ip))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


class GuardMiddleware:
    """Sets the guarding context for each HTTP request (a pure ASGI middleware, so the context
    reaches the endpoint and the thread it runs in)."""

    def __init__(self, app: Any, *, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The peer's address; behind a reverse proxy, uvicorn --proxy-headers (with
        # --forwarded-allow-ips) puts the client's address from X-Forwarded-For here.
        client = scope.get("client")
        with guarding(self.limits, client[0] if client else ""):
            await self.app(scope, receive, send)
