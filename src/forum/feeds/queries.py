"""What each feed lists, as plain Entries: only what a visitor may see."""

from __future__ import annotations

from sqlmodel import Session, col, select

from forum import labels
from forum.boards.models import Board, Post, Topic
from forum.boards.queries import tags_by_topic, users_by_id
from forum.cases.models import Case, CaseEvent
from forum.feeds.atom import Entry, UrlFor
from forum.notices.models import Notice
from forum.timeutil import utcnow

FEED_SIZE = 30


def board_entries(session: Session, *, board: Board, url_for: UrlFor, limit: int = FEED_SIZE) -> list[Entry]:
    """The board's newest visible topics with their opening post, newest first."""
    found = session.exec(
        select(Topic, Post)
        .join(Post, (col(Post.topic_id) == Topic.id) & (col(Post.floor) == 1))
        .where(
            Topic.board_id == board.id,
            col(Topic.deleted_at).is_(None),
            col(Topic.hidden_at).is_(None),
            col(Topic.held_at).is_(None),
        )
        .order_by(col(Topic.id).desc())
        .limit(limit)
    ).all()
    users = users_by_id(session, [t.author_id for t, _p in found])
    tags = tags_by_topic(session, [t.id for t, _p in found])  # type: ignore[misc]
    return [
        Entry(
            id=f"topic:{topic.id}",
            title=topic.title,
            link=url_for("boards:topic", topic_id=topic.id),
            published=topic.created_at,
            updated=post.edited_at or topic.created_at,
            author=users[topic.author_id].username,
            content_html=post.body_html if post.is_visible else "",
            categories=tuple(c.name for c in tags.get(topic.id, [])),  # type: ignore[arg-type]
        )
        for topic, post in found
    ]


def case_entries(session: Session, *, case: Case, url_for: UrlFor, limit: int = 100) -> list[Entry]:
    """The case's public timeline, newest first; staff-only notes never appear."""
    events = list(
        session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, col(CaseEvent.is_public).is_(True))
            .order_by(col(CaseEvent.id).desc())
            .limit(limit)
        ).all()
    )
    users = users_by_id(session, [e.actor_id for e in events])
    link = url_for("cases:case", case_id=case.id)
    entries = []
    for event in events:
        title = labels.CASE_EVENT.get(event.kind, event.kind)
        if event.to_status and event.to_status != event.from_status:
            title += f" → {labels.CASE_STATUS.get(event.to_status, event.to_status)}"
        summary = "\n".join(part for part in (event.detail, event.note) if part)
        actor = users.get(event.actor_id) if event.actor_id else None  # type: ignore[call-overload]
        entries.append(
            Entry(
                id=f"case:{case.id}:event:{event.id}",
                title=title,
                link=f"{link}#event-{event.id}",
                published=event.created_at,
                updated=event.created_at,
                author=actor.username if actor else "系统",
                summary=summary or title,
            )
        )
    return entries


def notice_entries(session: Session, *, url_for: UrlFor, limit: int = FEED_SIZE) -> list[Entry]:
    """Published 居务公开 notices, newest first. Scheduled ones appear when their time comes;
    withdrawn ones leave the feed (readers that kept a copy see it vanish from the next fetch)."""
    now = utcnow()
    notices = list(
        session.exec(
            select(Notice)
            .where(col(Notice.publish_at) <= now, col(Notice.withdrawn_at).is_(None))
            .order_by(col(Notice.publish_at).desc(), col(Notice.id).desc())
            .limit(limit)
        ).all()
    )
    users = users_by_id(session, [n.author_id for n in notices])
    return [
        Entry(
            id=f"notice:{notice.id}",
            title=notice.title,
            link=url_for("notices:notice", notice_id=notice.id),
            published=notice.publish_at,
            updated=max(notice.edited_at or notice.publish_at, notice.publish_at),
            author=users[notice.author_id].username,
            content_html=notice.body_html,
            categories=(labels.NOTICE_CATEGORY.get(notice.category, notice.category),),
        )
        for notice in notices
    ]
