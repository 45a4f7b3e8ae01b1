"""Pure ASGI middleware (no per-request task overhead): CSRF cookie, body size cap, security
headers."""

from __future__ import annotations

import json
import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# What this middleware issues (secrets.token_urlsafe); a cookie of any other shape is replaced.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,100}")
# Swagger UI and ReDoc bring their own inline scripts; they get no CSP.
_NO_CSP_PREFIXES = ("/docs", "/redoc")


class SiteMiddleware:
    def __init__(self, app: ASGIApp, *, csrf_cookie: str, secure_cookies: bool, max_body: int) -> None:
        self.app = app
        self.csrf_cookie = csrf_cookie
        self.secure = secure_cookies
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k: v for k, v in scope["headers"] if k in (b"cookie", b"content-length")}
        token = None
        if b"cookie" in headers:
            # Starlette's lenient parser (what request.cookies uses), not http.cookies.SimpleCookie:
            # it never raises on a malformed header and is several times faster, which counts on
            # the anonymous page cache's hits, where this is most of the work.
            token = cookie_parser(headers[b"cookie"].decode("latin-1")).get(self.csrf_cookie)
        new_token = None
        if not token or not _TOKEN_SHAPE.fullmatch(token):
            token = new_token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._too_large(scope, send)
            return

        path: str = scope["path"]
        received = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            if exceeded:
                # FastAPI turns any error while reading a body into its own 400; a body over the
                # cap (sent without a Content-Length) is answered 413 instead, whoever caught it.
                if message["type"] == "http.response.start":
                    await self._too_large(scope, send)
                return
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h.setdefault("x-content-type-options", "nosniff")
                h.setdefault("x-frame-options", "DENY")
                h.setdefault("referrer-policy", "same-origin")
                if not path.startswith(_NO_CSP_PREFIXES):
                    h.setdefault("content-security-policy", CSP)
                if new_token is not None:
                    secure = "; Secure" if self.secure else ""
                    h.append(
                        "set-cookie",
                        f"{self.csrf_cookie}={new_token}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            await send_with_headers({"type": "http.response.start", "status": 413, "headers": []})

    async def _too_large(self, scope: Scope, send: Send) -> None:
        mb = self.max_body // (1024 * 1024)
        message = f"提交的内容过大（上限 {mb} MB）"
        if scope["path"].startswith("/api/"):
            body, ctype = json.dumps({"detail": message}, ensure_ascii=False).encode(), b"application/json"
        else:
            body = (
                f"<!doctype html><meta charset=utf-8><title>内容过大</title>"
                f'<p>{message}。<a href="/">返回首页</a></p>'
            ).encode()
            ctype = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", ctype),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass
