"""Moderation rules: members report posts; staff dismiss, hide or delete what was reported, warn,
mute or ban its author; reports of enough weight (moderation.weight) hide a post until someone
looks. Every moderator action goes to the audit log (moderation.audit)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forum.accounts.models import LoginSession, RoleName, User
from forum.boards import service as boards
from forum.boards.models import Post, Topic
from forum.errors import Conflict, Invalid, NotFound, NotPermitted
from forum.guards import ratelimit
from forum.moderation import audit, weight
from forum.moderation.models import (
    MUTE_DAYS,
    REASON_MAX,
    REPORT_TEXT_MAX,
    AuditAction,
    QueueAction,
    Report,
    ReportedPost,
    ReportReason,
    Resolution,
)
from forum.notifications.models import Notification, NotificationKind
from forum.policy import PERMISSIONS, Action, require
from forum.timeutil import local, utcnow

# --- reports -------------------------------------------------------------------------------------


def report_post(
    session: Session,
    *,
    actor: User | None,
    post: Post,
    reason: str,
    text: str = "",
    hide_threshold: float = 3,
) -> Report:
    """举报 a post. One open report per member and post; once the open reports together weigh
    `hide_threshold` (moderation.weight: a trusted resident 1, a new account 0.1), the post is
    hidden until staff review it."""
    user = require(actor, Action.REPORT)
    try:
        why = ReportReason(reason)
    except ValueError:
        raise Invalid("请选择举报理由", field="reason") from None
    text = boards.clean_text(text)
    if len(text) > REPORT_TEXT_MAX:
        raise Invalid(f"补充说明不能超过 {REPORT_TEXT_MAX} 个字", field="text")
    if why == ReportReason.OTHER and not text:
        raise Invalid("选择“其他”时请写明举报理由", field="text")
    ratelimit.hit(session, action="report", user=user)
    # Reports on one post queue up behind this row lock (PostgreSQL; SQLite has one writer
    # anyway), so the weight that decides the auto-hide is never read by two reports at once.
    locked = session.exec(select(Post).where(col(Post.id) == post.id).with_for_update()).one()
    session.refresh(locked)
    boards.get_topic(session, locked.topic_id, viewer=user)
    if not locked.is_visible:
        raise NotFound("内容不存在或已被删除")
    if locked.author_id == user.id:
        raise NotPermitted("不能举报自己发布的内容")
    if _open_report(session, post_id=locked.id, reporter_id=user.id) is not None:  # type: ignore[arg-type]
        raise Conflict("你已经举报过这条内容，管理员会尽快处理")
    now = utcnow()
    report = Report(post_id=locked.id, reporter_id=user.id, reason=why, text=text, created_at=now)  # type: ignore[arg-type]
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        raise Conflict("你已经举报过这条内容，管理员会尽快处理") from None
    reported = session.get(ReportedPost, locked.id)
    if reported is None:
        reported = ReportedPost(post_id=locked.id, first_reported_at=now)  # type: ignore[arg-type]
        session.add(reported)
    # Open reports are one per member (the unique index), so these are different people.
    reporters = _open_reporters(session, locked.id)  # type: ignore[arg-type]
    reported.open_reports = len(reporters)
    reported.last_reported_at = now
    if reported.auto_hidden_at is None:
        total = weight.total(session, reporters, now=now)
        if total >= hide_threshold:
            counted = f"{reported.open_reports} 人举报，权重合计 {total:g}（阈值 {hide_threshold:g}）"
            reported.auto_hidden_at = now
            _set_hidden(session, locked, hidden=True)
            audit.record(
                session,
                actor=None,
                action=AuditAction.AUTO_HIDE,
                target_user_id=locked.author_id,
                topic_id=locked.topic_id,
                post_id=locked.id,
                details=f"{counted}，待审核",
            )
    session.flush()
    return report


def _open_report(session: Session, *, post_id: int, reporter_id: int) -> Report | None:
    return session.exec(
        select(Report).where(
            Report.post_id == post_id, Report.reporter_id == reporter_id, col(Report.resolved_at).is_(None)
        )
    ).first()


def _open_reporters(session: Session, post_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(Report, col(Report.reporter_id) == User.id)
            .where(Report.post_id == post_id, col(Report.resolved_at).is_(None))
        ).all()
    )


def _set_hidden(session: Session, post: Post, *, hidden: bool) -> None:
    """The system's own hide and restore (no moderator, so not boards.set_post_hidden): as there,
    hiding 1楼 hides the whole topic."""
    value = utcnow() if hidden else None
    post.hidden_at = value
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if post.floor == 1:
        topic.hidden_at = value
    else:
        boards.refresh_last_reply(session, topic)


def clean_reason(reason: str) -> str:
    reason = boards.clean_text(reason)
    if len(reason) > REASON_MAX:
        raise Invalid(f"处理理由不能超过 {REASON_MAX} 个字", field="reason")
    return reason


def _resolve(session: Session, *, actor: User, post: Post, resolution: Resolution) -> int:
    """Close every open report of the post and take it off the queue; returns how many."""
    reports = session.exec(
        select(Report).where(Report.post_id == post.id, col(Report.resolved_at).is_(None))
    ).all()
    now = utcnow()
    for report in reports:
        report.resolved_at, report.resolution, report.resolved_by_id = now, resolution, actor.id
    reported = session.get(ReportedPost, post.id)
    if reported is not None:
        session.delete(reported)
    session.flush()
    return len(reports)


def decide(
    session: Session,
    *,
    actor: User | None,
    post: Post,
    action: str,
    reason: str = "",
    days: int | None = None,
) -> str:
    """Staff act on a reported post from the queue. dismiss, hide and delete close its reports
    (dismissing undoes an auto-hide); warn, mute and ban act on the author and leave the reports
    open for a decision about the post. Returns a Chinese sentence saying what was done."""
    user = require(actor, Action.MODERATE)
    try:
        what = QueueAction(action)
    except ValueError:
        raise Invalid("未知的处理方式", field="action") from None
    reason = clean_reason(reason)
    # Two moderators deciding at once: the second waits here, then finds the reports closed.
    reported = session.exec(
        select(ReportedPost).where(col(ReportedPost.post_id) == post.id).with_for_update()
    ).first()
    if what == QueueAction.DISMISS:
        if reported is None:
            raise Conflict("这条内容没有待处理的举报，可能已被其他管理员处理")
        if reported.auto_hidden_at is not None and post.hidden_at is not None and post.deleted_at is None:
            _set_hidden(session, post, hidden=False)
        count = _resolve(session, actor=user, post=post, resolution=Resolution.DISMISSED)
        audit.record(
            session,
            actor=user,
            action=AuditAction.DISMISS_REPORTS,
            target_user_id=post.author_id,
            topic_id=post.topic_id,
            post_id=post.id,
            reason=reason,
            details=f"驳回 {count} 条举报",
        )
        session.flush()
        return f"已驳回 {count} 条举报"
    if what == QueueAction.HIDE:
        if post.deleted_at is not None:
            raise Conflict("该内容已被删除")
        boards.set_post_hidden(session, actor=user, post=post, hidden=True, reason=reason)
        _resolve(session, actor=user, post=post, resolution=Resolution.HIDDEN)
        return "已隐藏该内容"
    if what == QueueAction.DELETE:
        boards.delete_post(session, actor=user, post=post, reason=reason)
        _resolve(session, actor=user, post=post, resolution=Resolution.DELETED)
        return "已删除该内容"
    author = session.get(User, post.author_id)
    assert author is not None
    if what == QueueAction.WARN:
        warn_user(session, actor=user, target=author, reason=reason, post=post)
        return f"已警告 {author.username}"
    if what == QueueAction.MUTE:
        mute_user(session, actor=user, target=author, days=days or 0, reason=reason, post=post)
        return f"已禁言 {author.username} {days} 天"
    ban_user(session, actor=user, target=author, reason=reason, post=post)
    return f"已封禁 {author.username}"


# --- sanctions on users ----------------------------------------------------------------------------


def _check_target(actor: User, target: User) -> None:
    if target.id == actor.id:
        raise NotPermitted("不能处理自己的账号")
    if target.role == RoleName.ADMIN:
        raise NotPermitted("不能对管理员执行此操作")
    if target.role in PERMISSIONS[Action.MODERATE] and actor.role != RoleName.ADMIN:
        raise NotPermitted("只有管理员可以处理社工的账号")


def _notify(
    session: Session, *, actor: User, target: User, kind: str, detail: str, post: Post | None
) -> None:
    session.add(
        Notification(
            user_id=target.id,  # type: ignore[arg-type]
            kind=kind,
            actor_id=actor.id,
            topic_id=post.topic_id if post is not None else None,
            post_id=post.id if post is not None else None,
            detail=detail[:120],
        )
    )


def _record_sanction(
    session: Session,
    *,
    actor: User,
    action: str,
    target: User,
    post: Post | None,
    reason: str,
    details: str = "",
) -> None:
    """The audit row of a warning, mute or ban, tied to the post that prompted it (if any)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        target_user_id=target.id,
        topic_id=post.topic_id if post is not None else None,
        post_id=post.id if post is not None else None,
        reason=reason,
        details=details,
    )


def warn_user(
    session: Session, *, actor: User | None, target: User, reason: str, post: Post | None = None
) -> None:
    """A warning in the user's inbox; the reason is what they read, so it is required."""
    user = require(actor, Action.SANCTION)
    _check_target(user, target)
    reason = clean_reason(reason)
    if not reason:
        raise Invalid("请写明警告的理由，对方会在消息中看到", field="reason")
    _notify(session, actor=user, target=target, kind=NotificationKind.MOD_WARNING, detail=reason, post=post)
    _record_sanction(session, actor=user, action=AuditAction.WARN, target=target, post=post, reason=reason)
    session.flush()


def mute_user(
    session: Session,
    *,
    actor: User | None,
    target: User,
    days: int,
    reason: str = "",
    post: Post | None = None,
) -> User:
    """禁言 for 1, 3, 7 or 30 days from now (replacing any mute in force): the user can still
    read but not write (policy.MUTED_CANNOT)."""
    user = require(actor, Action.SANCTION)
    _check_target(user, target)
    if days not in MUTE_DAYS:
        raise Invalid("禁言时长只能选择 1 天、3 天、7 天或 30 天", field="days")
    if not target.is_active:
        raise Conflict("该账号已被封禁")
    reason = clean_reason(reason)
    target.muted_until = utcnow() + timedelta(days=days)
    until = f"{local(target.muted_until):%Y-%m-%d %H:%M}"
    detail = f"禁言 {days} 天，至 {until}" + (f"：{reason}" if reason else "")
    _notify(session, actor=user, target=target, kind=NotificationKind.MOD_MUTED, detail=detail, post=post)
    _record_sanction(
        session,
        actor=user,
        action=AuditAction.MUTE,
        target=target,
        post=post,
        reason=reason,
        details=f"禁言 {days} 天，至 {until}",
    )
    session.flush()
    return target


def unmute_user(session: Session, *, actor: User | None, target: User, reason: str = "") -> User:
    user = require(actor, Action.SANCTION)
    reason = clean_reason(reason)
    if target.muted_until is None or target.muted_until <= utcnow():
        raise Conflict("该用户当前没有被禁言")
    target.muted_until = None
    audit.record(session, actor=user, action=AuditAction.UNMUTE, target_user_id=target.id, reason=reason)
    session.flush()
    return target


def ban_user(
    session: Session, *, actor: User | None, target: User, reason: str = "", post: Post | None = None
) -> User:
    """封禁: the account is disabled and every browser session and API token of it ends now."""
    user = require(actor, Action.SANCTION)
    _check_target(user, target)
    reason = clean_reason(reason)
    if not target.is_active:
        raise Conflict("该账号已被封禁")
    target.is_active = False
    # The loaders refuse inactive users already; dropping the rows also keeps an unban from
    # bringing old sessions back.
    session.execute(
        delete(LoginSession).where(col(LoginSession.user_id) == target.id),
        execution_options={"synchronize_session": False},
    )
    _record_sanction(session, actor=user, action=AuditAction.BAN, target=target, post=post, reason=reason)
    session.flush()
    return target


def unban_user(session: Session, *, actor: User | None, target: User, reason: str = "") -> User:
    user = require(actor, Action.SANCTION)
    reason = clean_reason(reason)
    if target.is_active:
        raise Conflict("该账号没有被封禁")
    target.is_active = True
    audit.record(session, actor=user, action=AuditAction.UNBAN, target_user_id=target.id, reason=reason)
    session.flush()
    return target


def sanction(
    session: Session,
    *,
    actor: User | None,
    target_id: int,
    action: str,
    reason: str = "",
    days: int | None = None,
) -> User:
    """One entry point for the user page and the API: warn, mute, unmute, ban or unban."""
    require(actor, Action.SANCTION)
    target = session.get(User, target_id)
    if target is None:
        raise NotFound("用户不存在")
    if action == "warn":
        warn_user(session, actor=actor, target=target, reason=reason)
    elif action == "mute":
        mute_user(session, actor=actor, target=target, days=days or 0, reason=reason)
    elif action == "unmute":
        unmute_user(session, actor=actor, target=target, reason=reason)
    elif action == "ban":
        ban_user(session, actor=actor, target=target, reason=reason)
    elif action == "unban":
        unban_user(session, actor=actor, target=target, reason=reason)
    else:
        raise Invalid("未知的处理方式", field="action")
    return target
