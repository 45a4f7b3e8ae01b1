"""Who hears of a new post: the topic's author, the floor's author, whoever is quoted or
@mentioned, and the topic's followers. One notification per person per post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards import markup
from forum.boards.models import Post, Topic, TopicFollow
from forum.notifications.models import Notification, NotificationKind
from forum.timeutil import utcnow

MAX_MENTIONS = 10
K = NotificationKind


def notify_mentions(
    session: Session, *, actor: User, topic: Topic, post: Post, exclude: set[int]
) -> set[int]:
    """Notify users @mentioned in the post; returns who was notified."""
    names = [n.lower() for n in markup.mentions(post.body)[:MAX_MENTIONS]]
    if not names:
        return set()
    users = session.exec(select(User.id).where(col(User.username_key).in_(names))).all()
    notified: set[int] = set()
    for user_id in users:
        if user_id is not None and user_id != actor.id and user_id not in exclude:
            _add(session, user_id, K.MENTION, actor, topic, post)
            notified.add(user_id)
    return notified


def notify_reply(
    session: Session,
    *,
    actor: User,
    topic: Topic,
    post: Post,
    parent: Post | None,
    quoted: Post | None,
    reply_to: User | None,
) -> None:
    done = notify_mentions(session, actor=actor, topic=topic, post=post, exclude=set())
    done.add(actor.id)  # type: ignore[arg-type]
    for target in (parent, quoted):
        if target is not None and target.author_id not in done:
            _add(session, target.author_id, K.REPLY_FLOOR, actor, topic, post)
            done.add(target.author_id)
    if reply_to is not None and reply_to.id not in done:
        _add(session, reply_to.id, K.REPLY_FLOOR, actor, topic, post)  # type: ignore[arg-type]
        done.add(reply_to.id)  # type: ignore[arg-type]
    if topic.author_id not in done:
        _add(session, topic.author_id, K.REPLY_TOPIC, actor, topic, post)
        done.add(topic.author_id)
    followers = session.exec(select(TopicFollow.user_id).where(TopicFollow.topic_id == topic.id)).all()
    for user_id in followers:
        if user_id not in done:
            _add(session, user_id, K.FOLLOWED_TOPIC, actor, topic, post)
            done.add(user_id)


def _add(session: Session, user_id: int, kind: str, actor: User, topic: Topic, post: Post) -> None:
    session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            actor_id=actor.id,  # type: ignore[arg-type]
            topic_id=topic.id,
            post_id=post.id,
        )
    )  # type: ignore[arg-type]


def unread_count(session: Session, *, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    ).one()


@dataclass
class InboxItem:
    id: int
    kind: str
    actor: str | None
    topic_id: int | None
    topic_title: str | None
    post_id: int | None
    floor: int | None
    parent_floor: int | None
    case_id: int | None
    case_title: str | None
    detail: str
    excerpt: str
    created_at: datetime
    unread: bool


def inbox(session: Session, *, user: User, before: int | None = None, limit: int = 30) -> list[InboxItem]:
    """The newest notifications first, keyset-paged by id."""
    from forum.cases.models import Case

    actor = User.__table__.alias("actor")  # type: ignore[attr-defined]
    parent = Post.__table__.alias("parent")  # type: ignore[attr-defined]
    query = (
        select(Notification, actor.c.username, Topic.title, Post.floor, Post.body, parent.c.floor, Case.title)
        .outerjoin(actor, actor.c.id == Notification.actor_id)
        .outerjoin(Topic, col(Topic.id) == Notification.topic_id)
        .outerjoin(Post, col(Post.id) == Notification.post_id)
        .outerjoin(parent, parent.c.id == Post.parent_id)
        .outerjoin(Case, col(Case.id) == Notification.case_id)
        .where(Notification.user_id == user.id)
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(col(Notification.id) < before)
    items = []
    for note, actor_name, title, floor, body, parent_floor, case_title in session.exec(query).all():
        items.append(
            InboxItem(
                id=note.id,
                kind=note.kind,
                actor=actor_name,
                topic_id=note.topic_id,
                topic_title=title,  # type: ignore[arg-type]
                post_id=note.post_id,
                floor=floor,
                parent_floor=parent_floor,
                case_id=note.case_id,
                case_title=case_title,
                detail=note.detail,
                excerpt=markup.excerpt(body, 60) if body else "",
                created_at=note.created_at,
                unread=note.read_at is None,
            )
        )
    return items


def mark_read(session: Session, *, user: User, ids: list[int] | None = None) -> None:
    """Mark some notifications (or all of them) read."""
    query = update(Notification).where(
        col(Notification.user_id) == user.id, col(Notification.read_at).is_(None)
    )
    if ids is not None:
        query = query.where(col(Notification.id).in_(ids))
    session.execute(query.values(read_at=utcnow()))
