"""What staff read: the moderation queue, muted and banned users, the audit log."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards.markup import excerpt
from forum.boards.models import Post, Topic
from forum.moderation import weight
from forum.moderation.models import ModerationAction, Report, ReportedPost
from forum.policy import STAFF, Action, require
from forum.timeutil import utcnow


@dataclass
class QueueItem:
    """A reported post with its open reports, oldest report first, and their weight together
    (moderation.weight, as the auto-hide counts it)."""

    reported: ReportedPost
    post: Post
    topic: Topic
    author: User
    reports: list[tuple[Report, User]] = field(default_factory=list)
    weight: float = 0.0

    @property
    def state(self) -> str:
        return "deleted" if self.post.deleted_at else "hidden" if self.post.hidden_at else "ok"

    @property
    def excerpt(self) -> str:
        return excerpt(self.post.body, 140)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        return Counter(r.reason for r, _ in self.reports).most_common()

    @property
    def author_muted_until(self) -> datetime | None:
        until = self.author.muted_until
        return until if until is not None and until > utcnow() else None


@dataclass
class QueuePage:
    items: list[QueueItem]
    page: int
    has_more: bool


def queue(session: Session, *, actor: User | None, page: int = 1, per_page: int = 20) -> QueuePage:
    """Posts with open reports: auto-hidden ones first (they wait on a decision), then the
    longest waiting. Offset paging, bounded by the caller: the queue is short when staff keep up."""
    require(actor, Action.MODERATE)
    rows = session.exec(
        select(ReportedPost, Post, Topic, User)
        .join(Post, col(Post.id) == ReportedPost.post_id)
        .join(Topic, col(Topic.id) == Post.topic_id)
        .join(User, col(User.id) == Post.author_id)
        .order_by(
            col(ReportedPost.auto_hidden_at).is_(None),
            col(ReportedPost.first_reported_at),
            col(ReportedPost.post_id),
        )
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    items = [QueueItem(reported, post, topic, author) for reported, post, topic, author in rows[:per_page]]
    by_post = {item.post.id: item for item in items}
    if by_post:
        reports = session.exec(
            select(Report, User)
            .join(User, col(User.id) == Report.reporter_id)
            .where(col(Report.post_id).in_(by_post), col(Report.resolved_at).is_(None))
            .order_by(col(Report.id))
        ).all()
        for report, reporter in reports:
            by_post[report.post_id].reports.append((report, reporter))
        _weigh(session, items)
    return QueuePage(items=items, page=page, has_more=len(rows) > per_page)


def _weigh(session: Session, items: list[QueueItem]) -> None:
    reporters = {u.id: u for item in items for _, u in item.reports}
    by_reporter = weight.weights(session, list(reporters.values()))
    for item in items:
        item.weight = round(sum(by_reporter.get(u.id, 0.0) for _, u in item.reports), 2)  # type: ignore[arg-type]


def queue_item(session: Session, *, actor: User | None, post: Post) -> QueueItem | None:
    """One post's place in the queue (None if it has no open reports)."""
    require(actor, Action.MODERATE)
    reported = session.get(ReportedPost, post.id)
    if reported is None:
        return None
    topic = session.get(Topic, post.topic_id)
    author = session.get(User, post.author_id)
    assert topic is not None and author is not None
    reports = session.exec(
        select(Report, User)
        .join(User, col(User.id) == Report.reporter_id)
        .where(Report.post_id == post.id, col(Report.resolved_at).is_(None))
        .order_by(col(Report.id))
    ).all()
    item = QueueItem(reported, post, topic, author, [(r, u) for r, u in reports])
    _weigh(session, [item])
    return item


def open_report_count(session: Session) -> int:
    """Posts waiting in the queue (for the staff's navigation badge)."""
    return session.exec(select(func.count()).select_from(ReportedPost)).one()


def sanctioned_users(session: Session, *, actor: User | None, limit: int = 200) -> list[User]:
    """Users muted right now or banned, newest accounts first."""
    require(actor, Action.SANCTION)
    return list(
        session.exec(
            select(User)
            .where(or_(col(User.is_active).is_(False), col(User.muted_until) > utcnow()))
            .order_by(col(User.id).desc())
            .limit(limit)
        ).all()
    )


@dataclass
class AuditEntry:
    row: ModerationAction
    moderator: str | None  # None: the system
    target: str | None
    topic_title: str | None
    floor: int | None


def audit_log(
    session: Session,
    *,
    actor: User | None,
    moderator_id: int | None = None,
    action: str | None = None,
    target_user_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
    required: Action = Action.VIEW_AUDIT,
) -> tuple[list[AuditEntry], int | None]:
    """The newest moderator actions first, keyset-paged by id; returns (entries, next `before`)."""
    require(actor, required)
    moderator = User.__table__.alias("moderator")  # type: ignore[attr-defined]
    target = User.__table__.alias("target")  # type: ignore[attr-defined]
    query = (
        select(ModerationAction, moderator.c.username, target.c.username, Topic.title, Post.floor)
        .outerjoin(moderator, moderator.c.id == ModerationAction.moderator_id)
        .outerjoin(target, target.c.id == ModerationAction.target_user_id)
        .outerjoin(Topic, col(Topic.id) == ModerationAction.topic_id)
        .outerjoin(Post, col(Post.id) == ModerationAction.post_id)
        .order_by(col(ModerationAction.id).desc())
        .limit(limit + 1)
    )
    if moderator_id is not None:
        query = query.where(ModerationAction.moderator_id == moderator_id)
    if action:
        query = query.where(ModerationAction.action == action)
    if target_user_id is not None:
        query = query.where(ModerationAction.target_user_id == target_user_id)
    if before is not None:
        query = query.where(col(ModerationAction.id) < before)
    rows = session.exec(query).all()
    entries = [AuditEntry(*row) for row in rows[:limit]]
    return entries, entries[-1].row.id if len(rows) > limit else None


def moderators(session: Session) -> list[User]:
    """Who may appear as a moderator in the audit filter: staff roles."""
    return list(
        session.exec(
            select(User).where(col(User.role).in_(STAFF)).order_by(col(User.username)).limit(200)
        ).all()
    )
