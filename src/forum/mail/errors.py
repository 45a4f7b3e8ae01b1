"""Mail's own refusals."""

from __future__ import annotations

from forum.errors import DomainError


class TooSoon(DomainError):
    """Another verification mail too soon after the last one."""

    status_code = 429


class LinkExpired(DomainError):
    status_code = 400

    def __init__(self, message: str = "链接已过期") -> None:
        super().__init__(message)


class MailDisabled(DomainError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__("本站尚未配置邮件发送服务，暂时无法添加邮箱，请联系社区管理员")
