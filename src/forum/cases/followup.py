"""Closing the loop after 已解决: some days later the reporter is asked 解决了吗 (回访); their rating
(满意 / 基本满意 → 已评价, 不满意 → back to 处理中), a staff call-back (已回访) or no answer in time
(未评价, closed) are three different facts, recorded as such. Also the scheduled work: asking,
expiring, archiving, and flagging overdue cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from forum import labels
from forum.accounts.models import User
from forum.boards.service import clean_text
from forum.cases import events
from forum.cases.access import who
from forum.cases.models import OPEN_STATUSES, Case, CaseEvent, Rating, Status
from forum.cases.workflow import RULES, CaseAction, Party, check
from forum.errors import Invalid
from forum.notifications.models import NotificationKind
from forum.timeutil import utcnow

A = CaseAction
RATING_MAX = 500


def rate(
    session: Session,
    *,
    actor: User | None,
    case: Case,
    rating: Rating | str,
    comment_text: str = "",
    version: int | None = None,
) -> CaseEvent:
    """The poster answers the 回访. 满意 / 基本满意 -> 已评价; 不满意 reopens it (处理中)."""
    try:
        rating = Rating(rating)
    except ValueError:
        raise Invalid("请选择满意、基本满意或不满意", field="rating") from None
    comment_text = clean_text(comment_text)
    if len(comment_text) > RATING_MAX:
        raise Invalid(f"评价不能超过 {RATING_MAX} 个字", field="note")
    action = A.RATE_UNSATISFIED if rating == Rating.UNSATISFIED else A.RATE
    target = check(action, case, who(session, actor, case), note=comment_text)
    before = case.status
    values: dict[str, Any] = {
        "status": target,
        "rating": rating,
        "rating_comment": comment_text or None,
        "rated_at": utcnow(),
        "followup_asked_at": None,
    }
    events.compare_and_set(session, case, version, **values)
    word = labels.RATING[rating]
    event = events.record(
        session,
        case,
        actor,
        action.value,
        note=comment_text,
        detail=f"评价：{word}",
        from_status=before,
        to_status=target,
    )
    staff_ids = {case.handler_id, case.opened_by_id} - {None, actor.id if actor else None}
    for user_id in staff_ids:
        events.notify(session, user_id, NotificationKind.CASE_RATED, actor, case, f"评价：{word}")
    if target == Status.IN_PROGRESS:
        events.notify_followers(session, case, actor, "不满意，重新处理")
    session.flush()
    return event


def ask_followups(session: Session, *, after_days: int, now: datetime | None = None) -> int:
    """Ask each reporter 解决了吗 once, `after_days` days after their case was resolved. Claimed
    with a conditional UPDATE … RETURNING, so workers running this together ask once."""
    now = now or utcnow()
    claimed = _claim(
        session,
        [
            col(Case.status) == Status.RESOLVED,
            col(Case.resolved_at) <= now - timedelta(days=after_days),
            col(Case.followup_asked_at).is_(None),
            col(Case.poster_id).is_not(None),
        ],
        followup_asked_at=now,
    )
    for case in claimed:
        events.notify(session, case.poster_id, NotificationKind.CASE_FOLLOWUP, None, case, "解决了吗？请评价")
        events.record(session, case, None, "followup_asked", detail="系统回访：请居民评价办理结果")
    session.flush()
    return len(claimed)


def expire_followups(session: Session, *, expire_days: int, now: datetime | None = None) -> int:
    """No answer `expire_days` days after asking: recorded as 未评价 and closed."""
    now = now or utcnow()
    target = RULES[A.NO_RATING].target
    due = session.exec(
        select(Case)
        .where(
            Case.status == Status.RESOLVED,
            col(Case.followup_asked_at) <= now - timedelta(days=expire_days),
        )
        .limit(1000)
    ).all()
    done = 0
    for case in due:
        check(A.NO_RATING, case, frozenset({Party.SYSTEM}))
        result = events.execute(
            session,
            update(Case)
            .where(
                col(Case.id) == case.id,
                col(Case.status) == Status.RESOLVED,
                # Rated 不满意 and resolved again a moment ago: not asked yet, so not expired.
                col(Case.followup_asked_at) <= now - timedelta(days=expire_days),
            )
            .values(status=target, unrated_at=now, closed_at=now, version=Case.version + 1, updated_at=now),
        )
        if result.rowcount != 1:  # rated or reopened a moment ago
            continue
        session.refresh(case)
        events.record(
            session,
            case,
            None,
            "no_rating",
            from_status=Status.RESOLVED,
            to_status=target,
            detail=f"回访 {expire_days} 天内未收到评价，记为未评价并归档",
        )
        done += 1
    session.flush()
    return done


def archive_followed_up(session: Session, *, days: int, now: datetime | None = None) -> int:
    """Archive cases rated or followed up `days` days ago (forum archive, the periodic task)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    sources = RULES[A.ARCHIVE].sources
    cases = session.exec(
        select(Case)
        .where(
            col(Case.status).in_(list(sources)),
            or_(
                and_(col(Case.status) == Status.RATED, col(Case.rated_at) <= cutoff),
                and_(col(Case.status) == Status.FOLLOWED_UP, col(Case.followed_up_at) <= cutoff),
            ),
        )
        .limit(1000)
    ).all()
    done = 0
    for case in cases:
        before = case.status
        result = events.execute(
            session,
            update(Case)
            .where(col(Case.id) == case.id, col(Case.status) == before)
            .values(status=Status.CLOSED, closed_at=now, version=Case.version + 1, updated_at=now),
        )
        if result.rowcount == 1:  # another worker may have archived it a moment ago
            session.refresh(case)
            word = "评价" if before == Status.RATED else "回访"
            events.record(
                session,
                case,
                None,
                "archive",
                from_status=before,
                to_status=Status.CLOSED,
                detail=f"{word}后 {days} 天自动归档",
            )
            done += 1
    session.flush()
    return done


def notify_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Tell the handler (or the staff who opened it) once when a case passes its deadline. Cases are
    claimed with a conditional UPDATE … RETURNING, so workers running this together notify once."""
    now = now or utcnow()
    claimed = _claim(
        session,
        [
            col(Case.status).in_(list(OPEN_STATUSES)),
            col(Case.due_at) < now,
            col(Case.overdue_notified_at).is_(None),
        ],
        overdue_notified_at=now,
    )
    for case in claimed:
        events.notify(
            session,
            case.handler_id or case.opened_by_id,
            NotificationKind.CASE_OVERDUE,
            None,
            case,
            "已超过办理期限",
        )
    session.flush()
    return len(claimed)


def _claim(session: Session, where: list[Any], **values: Any) -> list[Case]:
    """Mark the matching cases with one conditional UPDATE … RETURNING and load them: of workers
    running the same scheduled step at once, each case goes to exactly one."""
    ids = (
        events.execute(session, update(Case).where(*where).values(**values).returning(Case.id))
        .scalars()
        .all()
    )
    return list(session.exec(select(Case).where(col(Case.id).in_(ids))).all()) if ids else []


class Periodic(NamedTuple):
    archived: int
    overdue: int
    asked: int
    unrated: int


def run_periodic(
    session: Session,
    *,
    archive_after_days: int,
    followup_after_days: int = 3,
    followup_expire_days: int = 7,
    now: datetime | None = None,
) -> Periodic:
    """The scheduled work: ask for and expire 回访, archive, flag newly overdue cases."""
    unrated = expire_followups(session, expire_days=followup_expire_days, now=now)
    asked = ask_followups(session, after_days=followup_after_days, now=now)
    archived = archive_followed_up(session, days=archive_after_days, now=now)
    return Periodic(archived, notify_overdue(session, now=now), asked, unrated)
