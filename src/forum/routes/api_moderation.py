"""JSON API for moderation: members report posts; staff read the queue, decide, warn, mute and
ban; admins read the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from forum.moderation import queries, service
from forum.moderation.models import (
    ModerationDecision,
    QueueAction,
    QueueItemPublic,
    QueuePage,
    QueueReporter,
    ReportCreate,
    ReportPublic,
    SanctionResult,
)
from forum.routes.deps import ApiUser, PostDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["moderation"])
Id = Annotated[int, Path(ge=1, le=2**62)]


@router.post("/posts/{post_id}/reports", status_code=status.HTTP_201_CREATED, response_model=ReportPublic)
def report_post(
    post: PostDep, data: ReportCreate, session: SessionDep, user: ApiUser, request: Request
) -> ReportPublic:
    """举报 a post (reason: ad, abuse, privacy, false_info or other; `text` required for other).
    409 if you already have an open report on it."""
    report = service.report_post(
        session,
        actor=user,
        post=post,
        reason=data.reason,
        text=data.text,
        hide_threshold=request.app.state.settings.report_hide_threshold,
    )
    return ReportPublic.model_validate(report, from_attributes=True)


def _item(item: queries.QueueItem) -> QueueItemPublic:
    return QueueItemPublic(
        post_id=item.post.id,  # type: ignore[arg-type]
        topic_id=item.topic.id,  # type: ignore[arg-type]
        topic_title=item.topic.title,
        floor=item.post.floor,
        author_id=item.author.id,  # type: ignore[arg-type]
        author=item.author.username,
        excerpt=item.excerpt,
        state=item.state,
        auto_hidden=item.reported.auto_hidden_at is not None,
        report_count=item.reported.open_reports,
        report_weight=item.weight,
        reasons=dict(item.reasons),
        reporters=[
            QueueReporter(username=u.username, reason=r.reason, text=r.text, created_at=r.created_at)
            for r, u in item.reports
        ],
        first_reported_at=item.reported.first_reported_at,
        last_reported_at=item.reported.last_reported_at,
    )


@router.get("/moderation/queue", response_model=QueuePage)
def moderation_queue(
    session: SessionDep,
    user: ApiUser,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> QueuePage:
    """Reported posts for staff: auto-hidden first, then the longest waiting."""
    listing = queries.queue(session, actor=user, page=page, per_page=limit)
    return QueuePage(items=[_item(i) for i in listing.items], page=listing.page, has_more=listing.has_more)


@router.post("/moderation/posts/{post_id}/{action}")
def decide(
    post: PostDep,
    action: QueueAction,
    session: SessionDep,
    user: ApiUser,
    data: ModerationDecision | None = None,
) -> dict[str, str]:
    """dismiss, hide or delete a reported post (closes its reports), or warn, mute (`days`: 1, 3,
    7 or 30) or ban its author."""
    data = data or ModerationDecision()
    done = service.decide(session, actor=user, post=post, action=action, reason=data.reason, days=data.days)
    return {"result": done}


def _sanction(
    session: SessionDep, user: ApiUser, user_id: int, action: str, data: ModerationDecision | None
) -> SanctionResult:
    data = data or ModerationDecision()
    target = service.sanction(
        session, actor=user, target_id=user_id, action=action, reason=data.reason, days=data.days
    )
    return SanctionResult(user_id=user_id, is_active=target.is_active, muted_until=target.muted_until)


@router.post("/users/{user_id}/warn", response_model=SanctionResult)
def warn(user_id: Id, session: SessionDep, user: ApiUser, data: ModerationDecision) -> SanctionResult:
    """Staff: a warning in the user's inbox; `reason` (required) is what they read."""
    return _sanction(session, user, user_id, "warn", data)


@router.post("/users/{user_id}/mute", response_model=SanctionResult)
def mute(user_id: Id, session: SessionDep, user: ApiUser, data: ModerationDecision) -> SanctionResult:
    """Staff: 禁言 for `days` (1, 3, 7 or 30): the user may read but not write."""
    return _sanction(session, user, user_id, "mute", data)


@router.post("/users/{user_id}/unmute", response_model=SanctionResult)
def unmute(
    user_id: Id, session: SessionDep, user: ApiUser, data: ModerationDecision | None = None
) -> SanctionResult:
    return _sanction(session, user, user_id, "unmute", data)


@router.post("/users/{user_id}/ban", response_model=SanctionResult)
def ban(
    user_id: Id, session: SessionDep, user: ApiUser, data: ModerationDecision | None = None
) -> SanctionResult:
    """Staff: 封禁. Every browser session and API token of the user stops working at once."""
    return _sanction(session, user, user_id, "ban", data)


@router.post("/users/{user_id}/unban", response_model=SanctionResult)
def unban(
    user_id: Id, session: SessionDep, user: ApiUser, data: ModerationDecision | None = None
) -> SanctionResult:
    return _sanction(session, user, user_id, "unban", data)
