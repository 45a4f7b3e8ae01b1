"""How much one member's 举报 counts toward hiding a post before staff have looked (the auto-hide).

A head count let three accounts registered ten minutes ago silence any resident. A report now
weighs what its reporter has shown: time in the community, a household staff verified, posts
that stand, and how staff judged their earlier reports. Everything is read from rows that exist
anyway (user, household, post, report), so the weight is never stored and always current."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from forum.accounts.models import Household, HouseholdStatus, User
from forum.boards.models import Post
from forum.guards.trust import is_staff
from forum.moderation.models import Report, Resolution
from forum.timeutil import utcnow

FULL = 1.0
NEWCOMER = 0.1  # any member in good standing: a crowd of fresh accounts can still be heard
AGE_STEPS = ((timedelta(days=30), 0.3), (timedelta(days=7), 0.15))
VERIFIED = 0.4  # 已认证住户: staff checked where they live
POST_STEPS = ((10, 0.2), (3, 0.1))  # visible posts: what they wrote stands
UPHELD_BONUS, UPHELD_BONUS_MAX = 0.1, 0.2  # per earlier report staff acted on
DISMISSED_DAMPING = 2  # weight × 2 / (2 + dismissed reports not offset by upheld ones)


@dataclass(frozen=True)
class Standing:
    """What a reporter's weight is computed from."""

    is_staff: bool
    is_active: bool
    account_age: timedelta
    verified: bool  # an approved Household
    visible_posts: int  # not deleted, hidden or held for review
    upheld: int  # earlier reports closed by hiding or deleting the post
    dismissed: int  # earlier reports closed as nothing wrong


def weight(s: Standing) -> float:
    """A reporter's weight, 0 to 1: staff 1, a banned account 0; otherwise 0.1, plus 0.3 for an
    account 30 days old (0.15 at 7 days), 0.4 for a verified household, 0.2 for 10 visible posts
    (0.1 for 3) and 0.1 per upheld report (at most 0.2), capped at 1; then each dismissed report
    beyond the upheld ones shrinks it: × 2 / (2 + n), so one such report leaves 2/3, two 1/2.
    An established, verified resident with no dismissed reports weighs 1, a new account 0.1."""
    if not s.is_active:
        return 0.0
    if s.is_staff:
        return FULL
    points = NEWCOMER
    points += next((bonus for age, bonus in AGE_STEPS if s.account_age >= age), 0.0)
    points += VERIFIED if s.verified else 0.0
    points += next((bonus for n, bonus in POST_STEPS if s.visible_posts >= n), 0.0)
    points += min(s.upheld * UPHELD_BONUS, UPHELD_BONUS_MAX)
    unfounded = max(s.dismissed - s.upheld, 0)
    return round(min(points, FULL) * DISMISSED_DAMPING / (DISMISSED_DAMPING + unfounded), 2)


def standings(session: Session, users: Sequence[User], *, now: datetime | None = None) -> dict[int, Standing]:
    """The Standing of each user, by id: three queries however many users."""
    ids = [u.id for u in users if u.id is not None]
    if not ids:
        return {}
    now = now or utcnow()
    verified = set(
        session.exec(
            select(Household.user_id).where(
                col(Household.user_id).in_(ids), Household.status == HouseholdStatus.APPROVED
            )
        ).all()
    )
    posts = dict(
        session.exec(
            select(Post.author_id, func.count())
            .where(
                col(Post.author_id).in_(ids),
                col(Post.deleted_at).is_(None),
                col(Post.hidden_at).is_(None),
                col(Post.held_at).is_(None),
            )
            .group_by(col(Post.author_id))
        ).all()
    )
    record: dict[tuple[int, str | None], int] = {}
    for reporter_id, resolution, n in session.exec(
        select(Report.reporter_id, Report.resolution, func.count())
        .where(col(Report.reporter_id).in_(ids), col(Report.resolved_at).is_not(None))
        .group_by(col(Report.reporter_id), col(Report.resolution))
    ).all():
        record[(reporter_id, resolution)] = n
    return {
        u.id: Standing(
            is_staff=is_staff(u),
            is_active=u.is_active,
            account_age=now - u.created_at,
            verified=u.id in verified,
            visible_posts=posts.get(u.id, 0),
            upheld=record.get((u.id, Resolution.HIDDEN), 0) + record.get((u.id, Resolution.DELETED), 0),
            dismissed=record.get((u.id, Resolution.DISMISSED), 0),
        )
        for u in users
        if u.id is not None
    }


def weights(session: Session, users: Sequence[User], *, now: datetime | None = None) -> dict[int, float]:
    """Each user's report weight, by id."""
    return {uid: weight(s) for uid, s in standings(session, users, now=now).items()}


def total(session: Session, users: Sequence[User], *, now: datetime | None = None) -> float:
    """The weight of these reporters together (what the auto-hide compares with its threshold)."""
    return round(sum(weights(session, users, now=now).values()), 2)
