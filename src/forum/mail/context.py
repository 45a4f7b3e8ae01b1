"""What mail needs beyond the database: the settings, absolute links, signed tokens and the text
templates. create_app attaches one context to its engine; code holding only a session (a service,
the session hook) finds it through the session's engine."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forum.config import Settings
from forum.errors import Invalid
from forum.mail.errors import LinkExpired
from forum.timeutil import local

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"

VERIFY_MAX_AGE = 2 * 86400  # a verification link works for two days
UNSUBSCRIBE_MAX_AGE = 365 * 86400  # an unsubscribe link for a year: old mails keep working

_CONTEXTS: weakref.WeakKeyDictionary[Engine, MailContext] = weakref.WeakKeyDictionary()


@dataclass
class MailContext:
    settings: Settings
    url_path_for: Callable[..., Any]
    _serializers: dict[str, URLSafeTimedSerializer] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """Mail is on once an SMTP server is configured; without one nothing is queued at all, so
        turning it on later does not flush a backlog of stale mail."""
        return bool(self.settings.smtp_host)

    @property
    def site_name(self) -> str:
        return self.settings.site_name

    def url(self, name: str, query: dict[str, str] | None = None, **params: Any) -> str:
        """An absolute link for a mail (there is no request to take the host from)."""
        path = str(self.url_path_for(name, **params))
        return self.absolute(path) + (f"?{urlencode(query)}" if query else "")

    def absolute(self, path: str) -> str:
        return self.settings.base_url.rstrip("/") + path

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        if purpose not in self._serializers:
            self._serializers[purpose] = URLSafeTimedSerializer(
                self.settings.resolved_secret_key, salt=f"forum.mail.{purpose}"
            )
        return self._serializers[purpose]

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        return self._serializer(purpose).dumps(payload)

    def unsign(self, purpose: str, token: str, *, max_age: int, expired: str) -> dict[str, Any]:
        """The payload of a token this site signed for this purpose; Invalid if forged or
        mangled, LinkExpired (with the message `expired`) if too old."""
        try:
            payload = self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired:
            raise LinkExpired(expired) from None
        except BadSignature:
            raise Invalid("链接无效：可能复制不完整或已被改动") from None
        if not isinstance(payload, dict):
            raise Invalid("链接无效：可能复制不完整或已被改动")
        return payload

    @cached_property
    def templates(self) -> Environment:
        env = Environment(
            loader=FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=False,  # plain-text mail
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["localtime"] = lambda value, fmt="%Y-%m-%d %H:%M": local(value).strftime(fmt)
        return env

    def render(self, name: str, **context: Any) -> tuple[str, str]:
        """(headline, body) of a mail template: its first line is the headline, the rest the body."""
        text = self.templates.get_template(name).render(site_name=self.site_name, **context)
        headline, _, body = text.partition("\n")
        return " ".join(headline.split())[:180], body.strip("\n") + "\n"

    def subject(self, headline: str) -> str:
        return f"【{self.site_name}】{headline}"[:200]


def use_mail(engine: Engine, settings: Settings, url_path_for: Callable[..., Any]) -> MailContext:
    """Give this engine's sessions mail: notifications committed through them queue mail."""
    import forum.mail.hooks  # noqa: F401  (the session events that queue mail)

    context = _CONTEXTS[engine] = MailContext(settings=settings, url_path_for=url_path_for)
    return context


def context_of(session: Session) -> MailContext | None:
    try:
        bind = session.get_bind()
    except Exception:  # an unbound session has no mail
        return None
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    return _CONTEXTS.get(engine) if engine is not None else None
