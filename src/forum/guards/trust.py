"""Trust levels, after Discourse's: a new account (young, or with few visible posts) has lower
rate limits and may not post links until it has some history. Staff are never new."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from linkify_it import LinkifyIt
from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards.models import Post
from forum.errors import Invalid
from forum.guards.context import Limits, current
from forum.policy import Action, can
from forum.search.text import normalize
from forum.timeutil import utcnow

# The same link finder the markup uses to turn text into links, so "a link" means what would
# become clickable (bare domains like example.com too).
_links = LinkifyIt()


def is_staff(user: User) -> bool:
    return can(user, Action.SEE_PRIVATE)


def visible_posts(session: Session, user: User, *, up_to: int) -> int:
    """How many visible posts the user has, counting no further than up_to."""
    ids = (
        select(Post.id)
        .where(
            Post.author_id == user.id,
            col(Post.deleted_at).is_(None),
            col(Post.hidden_at).is_(None),
            col(Post.held_at).is_(None),
        )
        .limit(up_to)
        .subquery()
    )
    return int(session.exec(select(func.count()).select_from(ids)).one())


def is_new(session: Session, user: User, limits: Limits) -> bool:
    if is_staff(user):
        return False
    if user.created_at > utcnow() - timedelta(days=limits.trust_days):
        return True
    return (
        limits.trust_posts > 0 and visible_posts(session, user, up_to=limits.trust_posts) < limits.trust_posts
    )


def has_link(text: str) -> bool:
    return bool(text) and (_links.test(text) or _links.test(normalize(text)))


def check_links(session: Session, *, user: User, texts: Mapping[str, str]) -> None:
    """Refuse links from a new account."""
    guard = current()
    if guard is None:
        return
    field = next((name for name, text in texts.items() if has_link(text)), None)
    if field is not None and is_new(session, user, guard.limits):
        raise Invalid("新用户暂不能发布链接，多参与讨论后即可", field=field)
