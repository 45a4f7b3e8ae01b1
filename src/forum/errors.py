"""Domain errors raised by services; app.py maps them to HTTP once."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    """Input that breaks a rule (too long, empty, bad image ...)."""

    status_code = 422


class NotAuthenticated(DomainError):
    status_code = 401

    def __init__(self, message: str = "请先登录") -> None:
        super().__init__(message)


class NotPermitted(DomainError):
    status_code = 403

    def __init__(self, message: str = "没有权限执行此操作") -> None:
        super().__init__(message)


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str = "内容不存在或已被删除") -> None:
        super().__init__(message)


class Conflict(DomainError):
    """The request clashes with the current state (locked topic, taken username ...)."""

    status_code = 409


class TooLarge(DomainError):
    status_code = 413


class RateLimited(DomainError):
    """Too many of one action in a window; retry_after is in seconds (sent as Retry-After)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
