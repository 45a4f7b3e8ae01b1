"""居务公开 pages: the notice list, a notice with its attachments and comment floors, the staff's
forms (write, edit, pin, close comments, withdraw), every version of a notice, attachment files."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask

from forum.accounts.models import User
from forum.boards import queries as board_queries
from forum.boards.models import Post
from forum.db import session_scope
from forum.errors import DomainError, Invalid, NotFound
from forum.notices import queries, service
from forum.notices.files import NoticeFiles, make_files
from forum.notices.models import (
    BODY_MAX,
    MAX_ATTACHMENTS,
    REASON_MAX,
    TITLE_MAX,
    AttachmentKind,
    Notice,
    NoticeAttachment,
    NoticeCategory,
)
from forum.policy import Action, require
from forum.routes.boards import read_uploads
from forum.routes.deps import SessionDep, Viewer, verify_csrf
from forum.templating import Page, PageDep
from forum.timeutil import SHANGHAI, utcnow

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Short = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=BODY_MAX * 2)]
Files = Annotated[list[UploadFile], File()]


def get_notice_or_404(notice_id: Id, session: SessionDep, user: Viewer) -> Notice:
    return service.get_notice(session, notice_id, viewer=user)


NoticeDep = Annotated[Notice, Depends(get_notice_or_404)]


def notice_files(request: Request) -> NoticeFiles:
    settings = request.app.state.settings
    return make_files(request.app.state.images, settings.upload_dir, settings.max_upload_bytes)


FilesDep = Annotated[NoticeFiles, Depends(notice_files)]


def _redirect(request: Request, url: str) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _notice_url(request: Request, notice: Notice, fragment: str = "", query: str = "") -> str:
    url = str(request.url_for("notices:notice", notice_id=notice.id))
    return url + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def parse_local_time(value: str, field: str = "publish_at") -> datetime | None:
    """A form's datetime-local value ("2026-03-01T14:30"), meant in Asia/Shanghai; empty means now."""
    value = value.strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("时间格式应为 2026-03-01 14:30", field=field) from None
    return when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when


def receipt_task(
    engine: Engine, session: SessionDep, notice: Notice, user: User | None
) -> BackgroundTask | None:
    """Record a verified household's read after the page is sent, in its own short write transaction:
    a page view runs in a read transaction, and a failed receipt must never cost the reader the page."""
    if not service.needs_receipt(session, notice=notice, user=user):
        return None
    notice_id, user_id = notice.id, user.id  # type: ignore[union-attr]

    def record() -> None:
        with session_scope(engine, write=True) as write:
            service.record_read(write, notice_id=notice_id, user_id=user_id)  # type: ignore[arg-type]

    return BackgroundTask(record)


# --- list and page -------------------------------------------------------------------------------


@router.get("/notices", name="notices:list")
def notice_list(
    page: PageDep,
    category: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    selected = queries.parse_category(category)
    listing = queries.notice_list(page.session, viewer=page.user, category=selected, cursor=cursor)
    return page.render(
        "notices/list.html", listing=listing, category=selected, categories=list(NoticeCategory), now=utcnow()
    )


# /notices/new before /notices/{notice_id}, which would otherwise claim it.


@router.get("/notices/new", name="notices:new")
def new_form(page: PageDep) -> Response:
    if page.user is None:
        return RedirectResponse(str(page.request.url_for("accounts:login_form")) + "?next=/notices/new", 303)
    return _form(page)


@router.post("/notices/new", name="notices:create")
def create(
    page: PageDep,
    files: FilesDep,
    title: Annotated[str, Form(max_length=TITLE_MAX * 4)] = "",
    body: Text = "",
    category: Short = "",
    publish_at: Short = "",
    pinned: Annotated[bool, Form()] = False,
    comments_closed: Annotated[bool, Form()] = False,
    attachments: Files = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    require(page.user, Action.PUBLISH_NOTICE)
    draft = {
        "title": title,
        "body": body,
        "category": category,
        "publish_at": publish_at,
        "pinned": pinned,
        "comments_closed": comments_closed,
    }
    notice = page.attempt(
        lambda: service.create_notice(
            page.session,
            actor=page.user,
            title=title,
            body=body,
            category=category,
            publish_at=parse_local_time(publish_at),
            pinned=pinned,
            comments_closed=comments_closed,
            uploads=read_uploads(attachments, files.max_bytes),
            files=files,
        ),
        lambda error, status: _form(page, status_code=status, error=error, draft=draft),
    )
    if isinstance(notice, Response):
        return notice
    return _redirect(page.request, _notice_url(page.request, notice))


def _notice_page(
    page: Page,
    notice: Notice,
    p: int = 1,
    status_code: int = 200,
    error: DomainError | None = None,
    draft: dict[str, object] | None = None,
) -> Response:
    settings = page.request.app.state.settings
    view = queries.notice_page(
        page.session,
        notice=notice,
        viewer=page.user,
        page=p,
        per_page=settings.floors_per_page,
        subs_shown=settings.subreplies_shown,
    )
    response = page.render(
        "notices/notice.html",
        status_code=status_code,
        view=view,
        notice=notice,
        topic=view.topic,
        staff=service.is_staff(page.user),
        now=utcnow(),
        error=error,
        draft=draft or {},
        reason_max=REASON_MAX,
    )
    response.background = receipt_task(page.request.app.state.engine, page.session, notice, page.user)
    return response


@router.get("/notices/{notice_id}", name="notices:notice")
def notice_page(
    page: PageDep, notice: NoticeDep, p: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1
) -> Response:
    return _notice_page(page, notice, p)


@router.get("/notices/{notice_id}/versions", name="notices:versions")
def versions(page: PageDep, notice: NoticeDep) -> Response:
    items = queries.version_views(page.session, service.versions(page.session, notice=notice))
    rendered = {v.version.id: service.render_body(v.version.body) for v in items}
    return page.render("notices/versions.html", notice=notice, versions=items, rendered=rendered)


@router.get("/notices/{notice_id}/files/{attachment_id}", name="notices:attachment")
def attachment(request: Request, session: SessionDep, notice: NoticeDep, attachment_id: Id) -> Response:
    """An attachment, by its id under a notice the viewer may see; PDFs download with a safe name."""
    item = service.get_attachment(session, notice=notice, attachment_id=attachment_id)
    if item.kind == AttachmentKind.IMAGE:
        return RedirectResponse(
            str(request.url_for("media:file", name=f"{item.key}.{item.ext}")), status_code=303
        )
    return _pdf_response(notice_files(request), notice, item)


def _pdf_response(files: NoticeFiles, notice: Notice, item: NoticeAttachment) -> Response:
    path = files.pdf_path(item.key)
    if not path.is_file():
        raise NotFound("附件文件不存在")
    fallback = f"notice-{notice.id}-{item.id}.pdf"
    return FileResponse(
        path,
        media_type="application/pdf",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(item.filename)}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )


# --- staff forms ---------------------------------------------------------------------------------


def _form(
    page: Page,
    *,
    notice: Notice | None = None,
    status_code: int = 200,
    error: DomainError | None = None,
    draft: dict[str, object] | None = None,
) -> Response:
    require(page.user, Action.PUBLISH_NOTICE)
    if draft is None and notice is not None:
        draft = {
            "title": notice.title,
            "body": notice.body,
            "category": notice.category,
            "publish_at": notice.publish_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
            "version": notice.version,
        }
    return page.render(
        "notices/form.html",
        status_code=status_code,
        notice=notice,
        error=error,
        draft=draft or {"category": NoticeCategory.ANNOUNCEMENT},
        categories=list(NoticeCategory),
        scheduled=notice is None or notice.publish_at > utcnow(),
        title_max=TITLE_MAX,
        body_max=BODY_MAX,
        max_attachments=MAX_ATTACHMENTS,
    )


@router.get("/notices/{notice_id}/edit", name="notices:edit_form")
def edit_form(page: PageDep, notice: NoticeDep) -> Response:
    return _form(page, notice=notice)


@router.post("/notices/{notice_id}/edit", name="notices:edit")
def edit(
    page: PageDep,
    notice: NoticeDep,
    files: FilesDep,
    title: Annotated[str, Form(max_length=TITLE_MAX * 4)] = "",
    body: Text = "",
    category: Short = "",
    publish_at: Short = "",
    version: Annotated[int | None, Form(ge=1, le=10**6)] = None,
    attachments: Files = [],  # noqa: B006
) -> Response:
    require(page.user, Action.PUBLISH_NOTICE)
    scheduled = notice.publish_at > utcnow()
    draft = {"title": title, "body": body, "category": category, "publish_at": publish_at, "version": version}
    edited = page.attempt(
        lambda: service.edit_notice(
            page.session,
            actor=page.user,
            notice=notice,
            title=title,
            body=body,
            category=category,
            # A cleared time on a scheduled notice means "publish now".
            publish_at=(parse_local_time(publish_at) or utcnow()) if scheduled else None,
            version=version,
            uploads=read_uploads(attachments, files.max_bytes),
            files=files,
        ),
        lambda error, status: _form(page, notice=notice, status_code=status, error=error, draft=draft),
    )
    if isinstance(edited, Response):
        return edited
    return _redirect(page.request, _notice_url(page.request, notice))


@router.post("/notices/{notice_id}/pin", name="notices:pin")
def pin(page: PageDep, notice: NoticeDep, on: Annotated[int, Form(ge=0, le=1)] = 1) -> Response:
    service.set_pinned(page.session, actor=page.user, notice=notice, pinned=bool(on))
    return _redirect(page.request, _notice_url(page.request, notice))


@router.post("/notices/{notice_id}/close-comments", name="notices:close_comments")
def close_comments(page: PageDep, notice: NoticeDep, on: Annotated[int, Form(ge=0, le=1)] = 1) -> Response:
    service.set_comments_closed(page.session, actor=page.user, notice=notice, closed=bool(on))
    return _redirect(page.request, _notice_url(page.request, notice, fragment="comments"))


@router.post("/notices/{notice_id}/withdraw", name="notices:withdraw")
def withdraw(
    page: PageDep, notice: NoticeDep, reason: Annotated[str, Form(max_length=REASON_MAX * 4)] = ""
) -> Response:
    done = page.attempt(
        lambda: service.withdraw(page.session, actor=page.user, notice=notice, reason=reason),
        lambda error, status: _notice_page(
            page, notice, status_code=status, error=error, draft={"reason": reason}
        ),
    )
    if isinstance(done, Response):
        return done
    return _redirect(page.request, _notice_url(page.request, notice))


# --- comments ------------------------------------------------------------------------------------


@router.post("/notices/{notice_id}/comment", name="notices:comment")
def comment(
    page: PageDep,
    notice: NoticeDep,
    body: Text = "",
    quote_floor: Annotated[int | None, Form(ge=1, le=10**9)] = None,
    images: Files = [],  # noqa: B006
) -> Response:
    """A comment: a new floor of the notice's topic; back to the notice page at that floor."""
    settings = page.request.app.state.settings
    post = page.attempt(
        lambda: service.comment(
            page.session,
            actor=page.user,
            notice=notice,
            body=body,
            quote_floor=quote_floor,
            uploads=read_uploads(images, settings.max_upload_bytes),
            store=page.request.app.state.images,
            max_images=settings.max_images_per_post,
        ),
        lambda error, status: _notice_page(
            page, notice, p=10**6, status_code=status, error=error, draft={"body": body}
        ),
    )
    if isinstance(post, Response):
        return post
    assert isinstance(post, Post) and post.floor is not None
    number = board_queries.page_of_floor(post.floor, settings.floors_per_page)
    return _redirect(
        page.request,
        _notice_url(page.request, notice, fragment=f"floor-{post.floor}", query=f"page={number}"),
    )
