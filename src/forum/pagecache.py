"""The anonymous page cache: whole rendered pages for visitors without a session, the way
Discourse's AnonymousCache serves them (a Rack middleware in front of Rails).

Most readers of a 社区 forum are not logged in, and for them the home page, a board page or a
topic page is the same HTML for everyone. This pure ASGI middleware keeps those responses for
`FORUM_ANON_CACHE_SECONDS` (default 15; 0 turns it off) and answers repeats without routing,
querying or rendering.

- Who gets cached pages: GET and HEAD requests without a `forum_session` cookie and without an
  `HX-Request` header. Everyone else passes straight through, and nothing they get is stored:
  logged-in users always get fresh pages.
- What is stored: only pages that opt in. `Page.render(..., cacheable=True)` (forum.templating)
  renders an anonymous, non-htmx request without the CSRF token and marks the response with the
  internal header `x-forum-cacheable`, which this middleware always strips. A marked response is
  stored only if it is a 200 that sets no cookie. The CSRF cookie is set per visitor by
  SiteMiddleware, which runs outside this middleware: it is added to cached responses on the way
  out, like the security headers, and never becomes part of an entry. Error pages, redirects and
  every unmarked response (media files, the API, forms) are never stored.
- The key is the scheme, Host header, root path, raw path and query string, not the method: for
  these visitors HEAD is answered as GET without the body, and fills the cache the same way
  (FastAPI's routes alone answer HEAD with 405, as they still do for logged-in users). Pages hold
  absolute links built from the Host header, so a forged Host only ever fills its own entry.
- Staleness: every successful write request (POST, PUT, PATCH, DELETE answered below 400: a
  reply, an edit, a moderator hiding a post) empties the cache of the worker that handled it, once
  the request is done. So with one worker (the embedded default) a visitor never sees a page older
  than the last change made through the app. Other workers' caches, and changes made outside a
  request (the CLI, a notice reaching its publish time), are bounded by the TTL only: an anonymous
  visitor may see such a page up to the TTL old.
- Bounded: least recently used entries go first once there are more than `FORUM_ANON_CACHE_ENTRIES`
  or their size passes `FORUM_ANON_CACHE_BYTES`; a single page larger than an eighth of the byte
  budget is not stored.
- Per process, on purpose: every worker has its own cache, and that is all right because it is only
  an optimisation, never state another worker needs; a miss just renders the page. It is used from
  the event loop only (no locks).
- Responses say `X-Cache: HIT` (with `Age` in seconds) or `X-Cache: MISS` (rendered and stored),
  so operators can see it working; pages that are not cached carry neither.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHEABLE_HEADER = "x-forum-cacheable"
_MARK = CACHEABLE_HEADER.encode()
_ENTRY_OVERHEAD = 256  # rough bytes per entry beyond body and headers: key, bookkeeping
_MAX_ENTRY_SHARE = 8  # one entry may use at most 1/8 of the byte budget

Key = tuple[str, bytes, str, bytes, bytes]
Headers = list[tuple[bytes, bytes]]


@dataclass(slots=True)
class Entry:
    headers: Headers
    body: bytes
    stored_at: float
    size: int


class AnonymousCache:
    """Rendered pages by key for `ttl` seconds; least recently used out first, bounded by the
    number of entries and their total size. `clock` is replaceable for tests."""

    def __init__(
        self,
        *,
        ttl: float,
        max_entries: int,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self.bytes = 0
        self.generation = 0  # bumped by clear(): a page rendered before that is not stored
        self._entries: OrderedDict[Key, Entry] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.max_entries > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock() - entry.stored_at >= self.ttl:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Key, headers: Headers, body: bytes) -> bool:
        """Store a page; False if the cache is off or the page too large to be worth it."""
        size = len(body) + sum(len(k) + len(v) for k, v in headers) + _ENTRY_OVERHEAD
        if not self.enabled or size > self.max_bytes // _MAX_ENTRY_SHARE:
            return False
        self._drop(key)
        self._entries[key] = Entry(headers, body, self.clock(), size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self.bytes -= old.size
        return True

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
        self.generation += 1

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size


class AnonymousCacheMiddleware:
    """Serve and fill an AnonymousCache; install it inside SiteMiddleware (see the module docs)."""

    def __init__(self, app: ASGIApp, *, cache: AnonymousCache, session_cookie: str) -> None:
        self.app = app
        self.cache = cache
        self.session_cookie = session_cookie
        self._session_bytes = session_cookie.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cache = self.cache
        if scope["method"] not in ("GET", "HEAD"):
            await self._write(scope, receive, send)
            return
        key = self._key(scope) if cache.enabled else None  # None: this request is not for the cache
        head = False
        if key is not None:
            entry = cache.get(key)
            if entry is not None:
                await self._replay(entry, scope["method"] == "HEAD", send)
                return
            if scope["method"] == "HEAD":
                scope, head = {**scope, "method": "GET"}, True

        store = False
        generation = cache.generation
        stored_headers: Headers = []
        chunks: list[bytes] = []

        async def send_and_keep(message: Message) -> None:
            nonlocal store, stored_headers
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if any(name.lower() == _MARK for name, _ in headers):
                    headers = [(n, v) for n, v in headers if n.lower() != _MARK]
                    store = (
                        key is not None
                        and message["status"] == 200
                        and not any(n.lower() == b"set-cookie" for n, _ in headers)
                    )
                    if store:
                        stored_headers = headers
                        headers = [*headers, (b"x-cache", b"MISS")]
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                if store:
                    chunks.append(message.get("body", b""))
                    # A write that finished while this page was rendering may not be in it.
                    if not message.get("more_body", False) and cache.generation == generation:
                        cache.put(key, stored_headers, b"".join(chunks))
                if head and message.get("body"):
                    message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_and_keep)

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a write through; once it has succeeded (and its transaction is committed: the app
        has returned), drop every page this worker keeps, so that nobody sees a page older than
        a change made through this worker."""
        succeeded = False

        async def watch(message: Message) -> None:
            nonlocal succeeded
            if message["type"] == "http.response.start":
                succeeded = message["status"] < 400
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if succeeded:
                self.cache.clear()

    def _key(self, scope: Scope) -> Key | None:
        host = b""
        cookies: list[bytes] = []
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookies.append(value)
            elif name == b"host":
                host = value
            elif name == b"hx-request":
                return None
        for value in cookies:
            # Most anonymous visitors carry only the CSRF cookie: parse only if the name is there.
            if self._session_bytes in value and self._has_session(value):
                return None
        path = scope.get("raw_path") or scope["path"].encode()
        return (scope["scheme"], host, scope.get("root_path", ""), path, scope["query_string"])

    def _has_session(self, cookie_header: bytes) -> bool:
        # Empty, as after logging out, is no session (routes.deps.current_user agrees).
        return bool(cookie_parser(cookie_header.decode("latin-1")).get(self.session_cookie))

    async def _replay(self, entry: Entry, head: bool, send: Send) -> None:
        age = str(max(0, int(self.cache.clock() - entry.stored_at))).encode()
        headers = [*entry.headers, (b"x-cache", b"HIT"), (b"age", age)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else entry.body})
