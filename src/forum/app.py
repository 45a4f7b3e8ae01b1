"""create_app(settings) -> FastAPI: routers, static files, middleware, error mapping."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

import forum.models  # noqa: F401  (every table registered before the first query)
from forum.config import Settings
from forum.db import make_engine
from forum.errors import DomainError, NotFound, RateLimited
from forum.guards.context import GuardMiddleware, Limits
from forum.mail.context import use_mail
from forum.media.images import ImageStore
from forum.middleware import SiteMiddleware
from forum.pagecache import AnonymousCache, AnonymousCacheMiddleware
from forum.routes import (
    accounts,
    admin,
    api,
    api_cases,
    api_consultations,
    api_moderation,
    api_notices,
    boards,
    cases,
    concerns,
    consultations,
    feeds,
    mail,
    media,
    meetings,
    moderation,
    notices,
    notifications,
    search,
    units,
)
from forum.routes.deps import CSRF_COOKIE, SESSION_COOKIE
from forum.routes.guards import router as guards_router
from forum.search.backends import make_backend
from forum.templating import TEMPLATE_DIR, make_templates

log = logging.getLogger("forum")
STATIC_DIR = TEMPLATE_DIR.parent / "static"

_STATUS_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    409: "操作冲突",
    413: "内容过大",
    422: "提交的内容有误",
    429: "操作太频繁",
    500: "服务器出错了",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="社区吧 API",
        version="1",
        description="嘉园一里社区吧: boards, topics, numbered floors and replies. Token auth: "
        "POST /api/v1/tokens, then `Authorization: Bearer <token>`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    # Writing requests admitted at once per process (see routes.deps.write_gate): well under the
    # 40 threads of Starlette's pool.
    app.state.write_concurrency = 1 if app.state.engine.dialect.name == "sqlite" else 16
    app.state.templates = make_templates(reload=settings.debug)
    app.state.search = make_backend(settings, app.state.engine)
    app.state.images = ImageStore(
        settings.upload_dir,
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels,
        thumb_size=settings.thumbnail_size,
    )
    # Added first, so it runs inside SiteMiddleware: cached pages still get the security headers
    # and each visitor's own CSRF cookie.
    app.state.page_cache = AnonymousCache(
        ttl=settings.anon_cache_seconds,
        max_entries=settings.anon_cache_entries,
        max_bytes=settings.anon_cache_bytes,
    )
    app.add_middleware(AnonymousCacheMiddleware, cache=app.state.page_cache, session_cookie=SESSION_COOKIE)
    app.add_middleware(
        SiteMiddleware,
        csrf_cookie=CSRF_COOKIE,
        secure_cookies=settings.https_only_cookies,
        max_body=settings.max_request_bytes,
    )
    # Rate limits and trust levels need each request's address and this app's limits.
    app.add_middleware(GuardMiddleware, limits=Limits.from_settings(settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # concerns before cases: /cases/report must not be taken for a case number.
    routers = [boards, concerns, cases, meetings, units, search, accounts, notifications, admin, media]
    routers += [api, api_cases, feeds, notices]
    for module in (*routers, moderation, api_moderation, consultations, api_consultations, api_notices):
        app.include_router(module.router)
    app.include_router(guards_router)
    app.include_router(mail.router)
    # Notifications committed through this engine's sessions queue mail (forum.mail.hooks).
    use_mail(app.state.engine, settings, app.url_path_for)
    _install_error_handlers(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the scheduled case work (archiving, overdue notices) in the background of each worker;
    it is idempotent, so several workers doing it is harmless."""
    seconds = app.state.settings.periodic_seconds
    tasks = [asyncio.create_task(_periodic(app, seconds))] if seconds > 0 else []
    stop = threading.Event()
    if app.state.settings.search_backend == "meilisearch" and app.state.settings.index_worker_in_app:
        tasks.append(asyncio.create_task(_index_worker(app, stop)))
    if app.state.settings.smtp_host and app.state.settings.mail_worker_in_app:
        tasks.append(asyncio.create_task(_mail_worker(app, stop)))
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            task.cancel()


async def _index_worker(app: FastAPI, stop: threading.Event) -> None:
    """Drain the search outbox in a thread for as long as the app runs."""
    from forum.db import session_scope
    from forum.search.meili import run_worker

    def scope():  # type: ignore[no-untyped-def]
        return session_scope(app.state.engine, write=True)

    await asyncio.to_thread(run_worker, app.state.search, scope, should_stop=stop.is_set, sleep=stop.wait)


async def _mail_worker(app: FastAPI, stop: threading.Event) -> None:
    """Send the mail outbox and the daily digests in a thread for as long as the app runs."""
    from forum.mail.worker import run_worker

    await asyncio.to_thread(
        run_worker, app.state.engine, app.state.settings, should_stop=stop.is_set, sleep=stop.wait
    )


async def _periodic(app: FastAPI, seconds: int) -> None:
    from forum.cases.followup import run_periodic
    from forum.db import session_scope
    from forum.guards.ratelimit import purge as purge_counters
    from forum.notices.service import publish_due

    def work() -> None:
        with session_scope(app.state.engine, write=True) as session:
            settings = app.state.settings
            run_periodic(
                session,
                archive_after_days=settings.archive_after_days,
                followup_after_days=settings.followup_after_days,
                followup_expire_days=settings.followup_expire_days,
            )
        with session_scope(app.state.engine, write=True) as session:
            purge_counters(session)  # rate-limit windows long over
        with session_scope(app.state.engine, write=True) as session:
            publish_due(session)  # scheduled notices get their comment topic

    while True:
        try:
            await asyncio.to_thread(work)
        except Exception:  # keep the loop alive; the next round tries again
            log.exception("scheduled case work failed")
        await asyncio.sleep(seconds)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, message: str) -> Response:
    if request.headers.get("hx-request") == "true":
        # htmx swaps this into the toast area (see layout.html's htmx-config).
        return HTMLResponse(
            f'<div class="toast toast-error" role="alert">{_escape(message)}</div>',
            status_code=status,
            headers={"HX-Retarget": "#toast", "HX-Reswap": "innerHTML"},
        )
    templates = request.app.state.templates
    context: dict[str, Any] = {
        "status": status,
        "title": _STATUS_TITLES.get(status, "出错了"),
        "message": message,
        "user": request.state._state.get("user"),
        "csrf_token": request.state._state.get("csrf_token", ""),
        "unread": 0,
        "settings": request.app.state.settings,
        "is_htmx": False,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)  # type: ignore[no-any-return]


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _in_path(error: Any) -> bool:
    loc = error.get("loc", ()) if isinstance(error, dict) else ()
    return bool(loc) and loc[0] == "path"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 and _wants_json(request) else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        if _wants_json(request):
            return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)
        page = _error_page(request, exc.status_code, exc.message)
        page.headers.update(headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        # A path that does not parse (/t/abc, /t/0) names nothing: not found, as an unknown id
        # is, rather than "提交的内容有误" for something the visitor never submitted.
        if any(_in_path(e) for e in exc.errors()):
            return await domain_error(request, NotFound("页面不存在"))
        if _wants_json(request):
            errors = [
                {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                for e in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        return _error_page(request, 422, "提交的内容格式不正确，请检查后重试")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "页面不存在", 405: "不支持该请求方法"}.get(exc.status_code, str(exc.detail))
        if _wants_json(request):
            detail = exc.detail if exc.status_code not in (404, 405) else message
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            return JSONResponse({"detail": "服务器内部错误"}, status_code=500)
        return _error_page(request, 500, "服务器内部错误，请稍后再试")

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # Ids are accepted up to 2**62, PostgreSQL's INTEGER columns end at 2**31 - 1: an id past
        # the column's range (SQLSTATE 22003) names nothing, so it is not found, not a 500.
        if getattr(exc.orig, "sqlstate", None) == "22003":
            return await domain_error(request, NotFound())
        return await unexpected(request, exc)
