"""Floors written on someone's behalf by another part of the platform (a 民情意见's progress, say):
the thread's readers see what happened where they are, and the topic's reply count and last
activity move as for any reply. No word guards or rate limits here: the caller screens the text it
writes (forum.cases.service.screen)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from forum.boards import markup
from forum.boards.models import Board, Post, Topic
from forum.timeutil import utcnow


def post_system_floor(
    session: Session, *, topic_id: int, author_id: int, body: str, origin: str, into_locked: bool = True
) -> Post | None:
    """Append a floor to a live topic (None if the topic is gone, hidden or waiting for review, or
    locked unless `into_locked`: an official record may go on in a thread closed to discussion)."""
    now = utcnow()
    locked = [] if into_locked else [col(Topic.is_locked).is_(False)]
    floor = session.execute(
        update(Topic)
        .where(
            col(Topic.id) == topic_id,
            col(Topic.deleted_at).is_(None),
            col(Topic.hidden_at).is_(None),
            col(Topic.held_at).is_(None),
            *locked,
        )
        .values(
            floor_count=Topic.floor_count + 1,
            reply_count=Topic.reply_count + 1,
            last_posted_at=now,
            last_poster_id=author_id,
        )
        .returning(Topic.floor_count, Topic.board_id),
        execution_options={"synchronize_session": False},
    ).one_or_none()
    if floor is None:
        return None
    post = Post(
        topic_id=topic_id,
        floor=floor[0],
        author_id=author_id,
        body=body[:10000],
        body_html=markup.render(body),
        created_at=now,
        origin=origin,
    )
    session.add(post)
    session.execute(
        update(Board).where(col(Board.id) == floor[1]).values(post_count=Board.post_count + 1),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    return post
