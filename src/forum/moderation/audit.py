"""The audit log's one writer. Kept apart from moderation.service so that the boards and accounts
services can record their moderator actions without importing the queue's rules."""

from __future__ import annotations

from sqlmodel import Session

from forum.accounts.models import User
from forum.moderation.models import REASON_MAX, ModerationAction


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    target_user_id: int | None = None,
    topic_id: int | None = None,
    post_id: int | None = None,
    reason: str = "",
    details: str = "",
) -> ModerationAction:
    """Append one row to the audit log (actor None: the system). Callers have checked the rules."""
    row = ModerationAction(
        moderator_id=actor.id if actor is not None else None,
        action=action,
        target_user_id=target_user_id,
        topic_id=topic_id,
        post_id=post_id,
        reason=reason[:REASON_MAX],
        details=details[:200],
    )
    session.add(row)
    return row
