"""Builders for moderation tests: residents whose reports carry weight, and accounts just made."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from factories import make_board, make_user
from forum.accounts.models import Household, HouseholdStatus, RoleName, User
from forum.boards import service as boards
from forum.timeutil import utcnow


def established(
    session: Session,
    name: str,
    *,
    days: int = 400,
    posts: int = 10,
    verified: bool = True,
    role: str = RoleName.RESIDENT,
) -> User:
    """A resident of `days` standing with `posts` visible posts (a topic and its replies, on a
    board of their own) and, if `verified`, a household staff approved: a full-weight reporter."""
    user = make_user(session, name, role=role)
    if posts:
        board = make_board(session, name="邻里闲聊")
        topic = boards.create_topic(session, actor=user, board=board, title=f"{name}的闲聊", body="大家好")
        for i in range(posts - 1):
            boards.reply(session, actor=user, topic=topic, body=f"第{i + 1}条")
    if verified:
        n = user.id or 0
        session.add(
            Household(
                user_id=user.id,  # type: ignore[arg-type]
                building=str(n % 12 + 1),
                unit="1",
                room=f"{n % 9 + 1}01",
                status=HouseholdStatus.APPROVED,
                reviewed_at=utcnow(),
            )
        )
        user.verified_at = utcnow()
    user.created_at = utcnow() - timedelta(days=days)
    session.add(user)
    session.commit()
    return user


def newcomer(session: Session, name: str, *, minutes: int = 10, role: str = RoleName.RESIDENT) -> User:
    """An account registered `minutes` ago, with nothing to its name yet."""
    user = make_user(session, name, role=role)
    user.created_at = utcnow() - timedelta(minutes=minutes)
    session.add(user)
    session.commit()
    return user
