"""JSON API for 居务公开 notices: the same services and rules as the pages. Comments are the floors
of the notice's topic (`topic_id`): read and write them through /api/v1/topics/{topic_id}/replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from forum.accounts.models import User
from forum.errors import Invalid
from forum.labels import NOTICE_CATEGORY
from forum.notices import queries, service
from forum.notices.models import (
    AttachmentKind,
    AttachmentPublic,
    Notice,
    NoticeCreate,
    NoticeDetail,
    NoticePage,
    NoticePublic,
    NoticeUpdate,
    NoticeVersionPublic,
    NoticeWithdraw,
)
from forum.policy import Action, require
from forum.routes.boards import read_uploads
from forum.routes.deps import ApiUser, SessionDep
from forum.routes.notices import FilesDep, _pdf_response, notice_files, receipt_task

router = APIRouter(prefix="/api/v1", tags=["notices"])
NoticeId = Annotated[int, Path(ge=1, le=2**62)]


def get_notice_or_404(notice_id: NoticeId, session: SessionDep, user: ApiUser) -> Notice:
    return service.get_notice(session, notice_id, viewer=user)


NoticeDep = Annotated[Notice, Depends(get_notice_or_404)]


def _public(request: Request, row: queries.NoticeRow, staff: bool) -> NoticePublic:
    n = row.notice
    return NoticePublic(
        id=n.id,  # type: ignore[arg-type]
        title=n.title,
        category=n.category,
        category_label=NOTICE_CATEGORY.get(n.category, n.category),
        author=row.author.username,
        publish_at=n.publish_at,
        is_pinned=n.is_pinned,
        comments_closed=n.comments_closed,
        version=n.version,
        edited_at=n.edited_at,
        topic_id=n.topic_id,
        comment_count=row.comment_count,
        url=str(request.url_for("notices:notice", notice_id=n.id)),
        withdrawn_at=n.withdrawn_at if staff else None,
        withdraw_reason=n.withdraw_reason if staff and n.withdrawn_at else None,
        read_households=row.read_count if staff else None,
    )


def _detail(request: Request, session: Session, notice: Notice, user: User | None) -> NoticeDetail:
    staff = service.is_staff(user)
    row = queries.notice_rows(session, [notice], staff=staff)[0]
    attachments = [
        AttachmentPublic(
            id=a.id,  # type: ignore[arg-type]
            kind=a.kind,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            url=str(request.url_for("api_notices:attachment", notice_id=notice.id, attachment_id=a.id)),
        )
        for a in queries.attachments_of(session, notice)
    ]
    return NoticeDetail(
        **_public(request, row, staff).model_dump(),
        body=notice.body,
        body_html=notice.body_html,
        attachments=attachments,
        version_count=queries.version_count(session, notice),
    )


@router.get("/notices", response_model=NoticePage)
def list_notices(
    request: Request,
    session: SessionDep,
    user: ApiUser,
    category: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NoticePage:
    """Published notices, pinned first (on the first page), then newest. Staff also see scheduled and
    withdrawn ones."""
    listing = queries.notice_list(
        session, viewer=user, category=queries.parse_category(category), cursor=cursor, limit=limit
    )
    staff = service.is_staff(user)
    return NoticePage(
        items=[_public(request, r, staff) for r in listing.pinned + listing.rows],
        next_cursor=listing.next_cursor,
    )


@router.post("/notices", status_code=status.HTTP_201_CREATED, response_model=NoticeDetail)
def create_notice(request: Request, data: NoticeCreate, session: SessionDep, user: ApiUser) -> NoticeDetail:
    """Staff only. `publish_at` in the future schedules the notice; attach files afterwards."""
    notice = service.create_notice(
        session,
        actor=user,
        title=data.title,
        body=data.body,
        category=data.category,
        publish_at=data.publish_at,
        pinned=data.pinned,
        comments_closed=data.comments_closed,
    )
    return _detail(request, session, notice, user)


@router.get("/notices/{notice_id}", response_model=NoticeDetail)
def get_notice(
    request: Request, response: Response, notice: NoticeDep, session: SessionDep, user: ApiUser
) -> NoticeDetail:
    detail = _detail(request, session, notice, user)
    task = receipt_task(request.app.state.engine, session, notice, user)
    if task is not None:
        response.background = task
    return detail


@router.patch("/notices/{notice_id}", response_model=NoticeDetail)
def update_notice(
    request: Request, notice: NoticeDep, data: NoticeUpdate, session: SessionDep, user: ApiUser
) -> NoticeDetail:
    """Staff only. Changing the text of a published notice makes a new version; send `version` to be
    refused (409) if someone else changed it first."""
    service.edit_notice(
        session,
        actor=user,
        notice=notice,
        title=data.title,
        body=data.body,
        category=data.category,
        publish_at=data.publish_at,
        version=data.version,
    )
    if data.pinned is not None:
        service.set_pinned(session, actor=user, notice=notice, pinned=data.pinned)
    if data.comments_closed is not None:
        service.set_comments_closed(session, actor=user, notice=notice, closed=data.comments_closed)
    return _detail(request, session, notice, user)


@router.get("/notices/{notice_id}/versions", response_model=list[NoticeVersionPublic])
def list_versions(notice: NoticeDep, session: SessionDep) -> list[NoticeVersionPublic]:
    """Every version of the text, newest first: public for published notices."""
    views = queries.version_views(session, service.versions(session, notice=notice))
    return [
        NoticeVersionPublic(
            **v.version.model_dump(include={"number", "title", "body", "category", "created_at"}),
            editor=v.editor.username,
        )
        for v in views
    ]


@router.post("/notices/{notice_id}/withdraw", response_model=NoticeDetail)
def withdraw(
    request: Request, notice: NoticeDep, data: NoticeWithdraw, session: SessionDep, user: ApiUser
) -> NoticeDetail:
    service.withdraw(session, actor=user, notice=notice, reason=data.reason)
    return _detail(request, session, notice, user)


@router.post(
    "/notices/{notice_id}/attachments", status_code=status.HTTP_201_CREATED, response_model=NoticeDetail
)
def add_attachments(
    request: Request,
    notice: NoticeDep,
    session: SessionDep,
    user: ApiUser,
    files: FilesDep,
    attachments: Annotated[list[UploadFile], File()] = [],  # noqa: B006 - FastAPI copies defaults
) -> NoticeDetail:
    """Staff only: multipart `attachments`, PDFs or pictures, checked by their content."""
    require(user, Action.PUBLISH_NOTICE)  # who asks before what they sent: 401/403, not 422
    uploads = read_uploads(attachments, files.max_bytes)
    if not uploads:
        raise Invalid("请选择要上传的附件", field="attachments")
    service.add_attachments(session, actor=user, notice=notice, uploads=uploads, files=files)
    return _detail(request, session, notice, user)


@router.get("/notices/{notice_id}/attachments/{attachment_id}", name="api_notices:attachment")
def attachment(request: Request, notice: NoticeDep, session: SessionDep, attachment_id: NoticeId) -> Response:
    item = service.get_attachment(session, notice=notice, attachment_id=attachment_id)
    if item.kind == AttachmentKind.IMAGE:
        return RedirectResponse(
            str(request.url_for("media:file", name=f"{item.key}.{item.ext}")), status_code=303
        )
    return _pdf_response(notice_files(request), notice, item)
