"""The mail rules: adding and verifying an address, choosing what to receive, unsubscribing by a
link, and turning notifications, announcements and daily digests into outbox rows. Everything is
written in the caller's transaction: a rolled-back event queues nothing, a committed one keeps its
mail until the worker has sent it."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert, or_, update
from sqlmodel import Session, col, select

from forum.accounts.models import User
from forum.boards import markup
from forum.boards.models import Post, Topic
from forum.boards.service import clean_text
from forum.cases.models import Case
from forum.errors import Conflict, Invalid
from forum.mail.context import UNSUBSCRIBE_MAX_AGE, VERIFY_MAX_AGE, MailContext, context_of
from forum.mail.errors import MailDisabled, TooSoon
from forum.mail.models import (
    EMAIL_MAX,
    Feed,
    MailAddress,
    MailDigestItem,
    MailKind,
    MailOutbox,
    OutboxStatus,
)
from forum.notifications.models import Notification, NotificationKind
from forum.policy import Action, require
from forum.timeutil import SHANGHAI, local, utcnow

K = NotificationKind
# Which switch on the settings page governs each notification; kinds not listed send no mail.
FEED_OF_KIND: dict[str, Feed] = {
    K.REPLY_TOPIC: Feed.REPLY,
    K.REPLY_FLOOR: Feed.REPLY,
    K.FOLLOWED_TOPIC: Feed.REPLY,
    K.MENTION: Feed.MENTION,
    K.CASE_UPDATE: Feed.CASE,
    K.CASE_ASSIGNED: Feed.CASE,
    K.CASE_RATED: Feed.CASE,
    K.CASE_OVERDUE: Feed.CASE,
    K.CASE_FOLLOWUP: Feed.CASE,
}
# What an unsubscribe link may turn off besides one feed.
ALL = "all"  # every feed (the link in a digest)
ADDRESS = "address"  # "not my address": the link in a verification mail removes it
UNSUBSCRIBE_SCOPES = frozenset({*Feed, ALL, ADDRESS})
DIGEST_MAX_ITEMS = 100
ANNOUNCE_KINDS = {"notice": Feed.NOTICE, "consultation": Feed.CONSULTATION}


# --- the address ----------------------------------------------------------------------------------


def clean_email(raw: str) -> str:
    """A syntactically valid address, normalized; no DNS look-up (that would make forms slow)."""
    text = clean_text(raw)
    if not text:
        raise Invalid("请填写邮箱地址", field="email")
    if len(text) > EMAIL_MAX:
        raise Invalid(f"邮箱地址不能超过 {EMAIL_MAX} 个字符", field="email")
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise Invalid("邮箱地址格式不正确，请检查后重试（例如 name@example.com）", field="email") from None
    return result.ascii_email or result.normalized


def get_address(session: Session, *, user: User) -> MailAddress | None:
    return session.get(MailAddress, user.id)


def _enabled_context(session: Session) -> MailContext:
    context = context_of(session)
    if context is None or not context.enabled:
        raise MailDisabled()
    return context


def _check_interval(context: MailContext, address: MailAddress, now: datetime) -> None:
    if address.verify_sent_at is None:
        return
    wait = context.settings.mail_verify_interval_seconds - (now - address.verify_sent_at).total_seconds()
    if wait > 0:
        later = f"{math.ceil(wait)} 秒" if wait <= 90 else f"{math.ceil(wait / 60)} 分钟"
        raise TooSoon(f"验证邮件刚刚发出，请先查收（也看看垃圾邮件箱）；如未收到，请 {later}后再试")


def set_address(
    session: Session, *, actor: User | None, email: str, now: datetime | None = None
) -> MailAddress:
    """Add or change the user's address and mail it a verification link. A changed address
    receives nothing until it is verified again; the user's choices are kept."""
    user = require(actor, Action.RECEIVE_MAIL)
    context = _enabled_context(session)
    clean = clean_email(email)
    now = now or utcnow()
    address = session.get(MailAddress, user.id)
    if address is not None and address.email == clean and address.is_verified:
        raise Conflict("这个邮箱已经验证过了，无需更改", field="email")
    if address is None:
        address = MailAddress(user_id=user.id, email=clean)  # type: ignore[arg-type]
        session.add(address)
    else:
        _check_interval(context, address, now)
        if address.email != clean:
            address.email = clean
            address.verified_at = None
    address.verify_sent_at = now
    address.updated_at = now
    _queue_verification(session, context, user, address)
    session.flush()
    return address


def resend_verification(session: Session, *, actor: User | None, now: datetime | None = None) -> MailAddress:
    """Mail the verification link again (at most once per FORUM_MAIL_VERIFY_INTERVAL_SECONDS)."""
    user = require(actor, Action.RECEIVE_MAIL)
    context = _enabled_context(session)
    now = now or utcnow()
    address = session.get(MailAddress, user.id)
    if address is None:
        raise Conflict("请先填写邮箱地址")
    if address.is_verified:
        raise Conflict("邮箱已经验证，无需重新发送")
    _check_interval(context, address, now)
    address.verify_sent_at = now
    _queue_verification(session, context, user, address)
    session.flush()
    return address


def verification(session: Session, *, token: str) -> MailAddress:
    """The address a verification link is for, if the link is still good; changes nothing."""
    context = context_of(session)
    if context is None:
        raise MailDisabled()
    payload = context.unsign(
        "verify",
        token,
        max_age=VERIFY_MAX_AGE,
        expired="验证链接已过期（有效期 2 天），请登录后在“邮件提醒”页重新发送验证邮件",
    )
    user_id = payload.get("u")
    address = session.get(MailAddress, user_id) if isinstance(user_id, int) else None
    if address is None or address.email != payload.get("e"):
        raise Invalid("这个验证链接已失效：账号的邮箱后来更改或删除了。请使用最新一封验证邮件中的链接")
    return address


def verify(session: Session, *, token: str, now: datetime | None = None) -> MailAddress:
    """Mark the address in a verification link as verified (following the link twice is fine)."""
    address = verification(session, token=token)
    if address.verified_at is None:
        address.verified_at = now or utcnow()
        address.updated_at = address.verified_at
        session.flush()
    return address


def remove_address(session: Session, *, actor: User | None) -> None:
    """Forget the user's address: no mail at all, pending digest lines dropped."""
    user = require(actor, Action.RECEIVE_MAIL)
    address = session.get(MailAddress, user.id)
    if address is None:
        raise Conflict("还没有添加邮箱")
    session.execute(delete(MailDigestItem).where(col(MailDigestItem.user_id) == user.id))
    session.delete(address)
    session.flush()


def update_choices(
    session: Session,
    *,
    actor: User | None,
    feeds: Collection[str],
    digest: bool,
    now: datetime | None = None,
) -> MailAddress:
    """Set what the user receives (the feeds ticked) and how: one mail each, or a daily digest."""
    user = require(actor, Action.RECEIVE_MAIL)
    address = session.get(MailAddress, user.id)
    if address is None:
        raise Conflict("请先添加邮箱地址，再选择要接收的邮件")
    unknown = set(feeds) - set(Feed)
    if unknown:
        raise Invalid("未知的邮件类型", field="feeds")
    now = now or utcnow()
    for feed in Feed:
        setattr(address, f"want_{feed.value}", feed.value in feeds)
    if digest and not address.digest:
        # The first digest comes at the next digest hour after today's, not at once.
        address.last_digest_at = now
    address.digest = digest
    address.updated_at = now
    session.flush()
    return address


def recent_mail(session: Session, *, user: User, limit: int = 5) -> list[MailOutbox]:
    """The user's latest mails and how they fared (shown on the settings page)."""
    return list(
        session.exec(
            select(MailOutbox)
            .where(MailOutbox.user_id == user.id)
            .order_by(col(MailOutbox.id).desc())
            .limit(limit)
        ).all()
    )


# --- unsubscribing --------------------------------------------------------------------------------


@dataclass
class Unsubscription:
    scope: str  # a Feed value, ALL or ADDRESS
    email: str
    active: bool  # False: the address is gone or changed, or already unsubscribed


def _read_unsubscribe(session: Session, token: str) -> tuple[dict[str, Any], MailAddress | None]:
    context = context_of(session)
    if context is None:
        raise MailDisabled()
    payload = context.unsign(
        "unsubscribe",
        token,
        max_age=UNSUBSCRIBE_MAX_AGE,
        expired="退订链接已过期，请登录后在“邮件提醒”页修改设置",
    )
    if payload.get("f") not in UNSUBSCRIBE_SCOPES or not isinstance(payload.get("u"), int):
        raise Invalid("链接无效：可能复制不完整或已被改动")
    address = session.get(MailAddress, payload["u"])
    if address is not None and address.email != payload.get("e"):
        address = None  # the link was for an earlier address of this user
    return payload, address


def _still_active(address: MailAddress | None, scope: str) -> bool:
    if address is None:
        return False
    if scope in (ALL, ADDRESS):
        return scope == ADDRESS or any(address.wants(feed) for feed in Feed)
    return address.wants(Feed(scope))


def unsubscription(session: Session, *, token: str) -> Unsubscription:
    """What an unsubscribe link would turn off (for the confirmation page); changes nothing."""
    payload, address = _read_unsubscribe(session, token)
    return Unsubscription(
        scope=payload["f"], email=str(payload.get("e", "")), active=_still_active(address, payload["f"])
    )


def unsubscribe(session: Session, *, token: str, now: datetime | None = None) -> Unsubscription:
    """Turn off what the link names: one feed, all of them, or (from a verification mail) the address."""
    payload, address = _read_unsubscribe(session, token)
    scope = payload["f"]
    done = Unsubscription(scope=scope, email=str(payload.get("e", "")), active=False)
    if not _still_active(address, scope):
        return done
    assert address is not None
    if scope == ADDRESS:
        session.execute(delete(MailDigestItem).where(col(MailDigestItem.user_id) == address.user_id))
        session.delete(address)
    else:
        for feed in Feed if scope == ALL else [Feed(scope)]:
            setattr(address, f"want_{feed.value}", False)
        address.updated_at = now or utcnow()
    session.flush()
    return done


def _unsubscribe_url(context: MailContext, user_id: int, email: str, scope: str) -> str:
    token = context.sign("unsubscribe", {"u": user_id, "e": email, "f": scope})
    return context.url("mail:unsubscribe_form", query={"token": token})


# --- queueing mail --------------------------------------------------------------------------------


def _outbox_row(
    context: MailContext,
    *,
    user_id: int,
    to: str,
    kind: str,
    headline: str,
    body: str,
    unsubscribe_url: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "kind": kind,
        "to_addr": to,
        "subject": context.subject(headline),
        "body": body,
        "unsubscribe_url": unsubscribe_url,
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _queue_verification(session: Session, context: MailContext, user: User, address: MailAddress) -> None:
    now = address.verify_sent_at or utcnow()
    token = context.sign("verify", {"u": user.id, "e": address.email})
    unsubscribe_url = _unsubscribe_url(context, user.id, address.email, ADDRESS)  # type: ignore[arg-type]
    headline, body = context.render(
        "mail/verify.txt",
        username=user.username,
        email=address.email,
        verify_url=context.url("mail:verify_form", query={"token": token}),
        unsubscribe_url=unsubscribe_url,
        settings_url=context.url("mail:settings"),
    )
    row = _outbox_row(
        context,
        user_id=user.id,  # type: ignore[arg-type]
        to=address.email,
        kind=MailKind.VERIFY,
        headline=headline,
        body=body,
        unsubscribe_url=unsubscribe_url,
        now=now,
    )
    session.execute(insert(MailOutbox), [row])


class _Deliveries:
    """Collects one event's mails: a row in the outbox, or for digest users a line of tomorrow's
    digest; inserted in bulk."""

    def __init__(self, session: Session, context: MailContext, now: datetime) -> None:
        self.session, self.context, self.now = session, context, now
        self.outbox: list[dict[str, Any]] = []
        self.digest: list[dict[str, Any]] = []

    def add(
        self, address: MailAddress, username: str, feed: Feed, template: str, link: str, **extra: Any
    ) -> None:
        unsubscribe_url = _unsubscribe_url(self.context, address.user_id, address.email, feed)
        headline, body = self.context.render(
            template,
            username=username,
            feed=feed.value,
            link=link,
            unsubscribe_url=unsubscribe_url,
            settings_url=self.context.url("mail:settings"),
            **extra,
        )
        if address.digest:
            self.digest.append(
                {
                    "user_id": address.user_id,
                    "feed": feed.value,
                    "line": headline[:300],
                    "url": link[:1000],
                    "created_at": self.now,
                }
            )
            return
        self.outbox.append(
            _outbox_row(
                self.context,
                user_id=address.user_id,
                to=address.email,
                kind=feed,
                headline=headline,
                body=body,
                unsubscribe_url=unsubscribe_url,
                now=self.now,
            )
        )

    def save(self) -> int:
        if self.outbox:
            self.session.execute(insert(MailOutbox), self.outbox)
        if self.digest:
            self.session.execute(insert(MailDigestItem), self.digest)
        return len(self.outbox) + len(self.digest)


def _recipients(session: Session, user_ids: Collection[int]) -> dict[int, tuple[MailAddress, str]]:
    """Verified addresses of active users, with their usernames."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(MailAddress, User.username)
        .join(User, col(User.id) == MailAddress.user_id)
        .where(
            col(MailAddress.user_id).in_(list(user_ids)),
            col(MailAddress.verified_at).is_not(None),
            col(User.is_active).is_(True),
        )
    ).all()
    return {address.user_id: (address, username) for address, username in rows}


def queue_for_notifications(session: Session, *, notes: Sequence[Notification]) -> int:
    """Mail (or put in the digest) each new notification its recipient wants by mail. Called once per
    transaction by the session hook (forum.mail.hooks) with the notifications it created."""
    context = context_of(session)
    if context is None or not context.enabled:
        return 0
    wanted = [(note, FEED_OF_KIND[note.kind]) for note in notes if note.kind in FEED_OF_KIND]
    recipients = _recipients(session, {note.user_id for note, _ in wanted})
    wanted = [
        (note, feed)
        for note, feed in wanted
        if note.user_id in recipients and recipients[note.user_id][0].wants(feed)
    ]
    if not wanted:
        return 0
    actor = User.__table__.alias("actor")  # type: ignore[attr-defined]
    shown = {
        row[0]: row[1:]
        for row in session.exec(
            select(Notification.id, actor.c.username, Topic.title, Post.body, Case.title)
            .outerjoin(actor, actor.c.id == Notification.actor_id)
            .outerjoin(Topic, col(Topic.id) == Notification.topic_id)
            .outerjoin(Post, col(Post.id) == Notification.post_id)
            .outerjoin(Case, col(Case.id) == Notification.case_id)
            .where(col(Notification.id).in_([note.id for note, _ in wanted]))
        ).all()
    }
    deliveries = _Deliveries(session, context, utcnow())
    for note, feed in wanted:
        actor_name, topic_title, body, case_title = shown[note.id]
        if note.case_id is not None:
            link = context.url("cases:case", case_id=note.case_id)
        elif note.post_id is not None:
            link = context.url("boards:post", post_id=note.post_id)
        elif note.topic_id is not None:
            link = context.url("boards:topic", topic_id=note.topic_id)
        else:
            link = context.url("notifications:inbox")
        address, username = recipients[note.user_id]
        deliveries.add(
            address,
            username,
            feed,
            "mail/notification.txt",
            link,
            kind=note.kind,
            actor=actor_name or "社区",
            title=topic_title or "",
            case_title=case_title or "",
            excerpt=markup.excerpt(body, 200) if body else "",
            detail=note.detail,
        )
    return deliveries.save()


def announce(session: Session, *, kind: str, title: str, url_path: str) -> int:
    """Tell everyone who wants it of a new notice or consultation (digest users in their digest).
    url_path is the site path of the published item; returns how many were queued."""
    feed = ANNOUNCE_KINDS.get(kind)
    if feed is None:
        raise Invalid("未知的公告类型", field="kind")
    title = " ".join(clean_text(title).split())[:100]
    if not title:
        raise Invalid("请填写标题", field="title")
    if not url_path.startswith("/") or url_path.startswith("//") or len(url_path) > 500:
        raise Invalid("链接必须是本站路径", field="url_path")
    context = context_of(session)
    if context is None or not context.enabled:
        return 0
    rows = session.exec(
        select(MailAddress, User.username)
        .join(User, col(User.id) == MailAddress.user_id)
        .where(
            col(MailAddress.verified_at).is_not(None),
            col(getattr(MailAddress, f"want_{feed.value}")).is_(True),
            col(User.is_active).is_(True),
        )
        .order_by(col(MailAddress.user_id))
    ).all()
    deliveries = _Deliveries(session, context, utcnow())
    link = context.absolute(url_path)
    for address, username in rows:
        deliveries.add(address, username, feed, "mail/announcement.txt", link, title=title)
    return deliveries.save()


# --- the daily digest -----------------------------------------------------------------------------


def digest_cutoff(context: MailContext, now: datetime) -> datetime:
    """Today's digest time (FORUM_MAIL_DIGEST_HOUR in Asia/Shanghai)."""
    hour = context.settings.mail_digest_hour
    return datetime.combine(local(now).date(), time(hour=hour), tzinfo=SHANGHAI)


def send_digests(session: Session, *, now: datetime | None = None) -> int:
    """Queue one mail per user whose digest is due, gathering every line collected since their last
    one. Idempotent: a user's digest is claimed with a conditional update, so a second run (or a
    second worker) the same day finds nothing to do. Returns how many digests were queued."""
    context = context_of(session)
    if context is None or not context.enabled:
        return 0
    now = now or utcnow()
    cutoff = digest_cutoff(context, now)
    if now < cutoff:
        return 0
    due = session.exec(
        select(MailAddress, User.username)
        .join(User, col(User.id) == MailAddress.user_id)
        .where(
            col(MailAddress.user_id).in_(select(MailDigestItem.user_id).distinct()),
            or_(col(MailAddress.last_digest_at).is_(None), col(MailAddress.last_digest_at) < cutoff),
        )
        .order_by(col(MailAddress.user_id))
    ).all()
    queued = 0
    for address, username in due:
        claimed = session.execute(
            update(MailAddress)
            .where(
                col(MailAddress.user_id) == address.user_id,
                or_(col(MailAddress.last_digest_at).is_(None), col(MailAddress.last_digest_at) < cutoff),
            )
            .values(last_digest_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker took it
        session.refresh(address)
        items = session.exec(
            select(MailDigestItem)
            .where(MailDigestItem.user_id == address.user_id)
            .order_by(col(MailDigestItem.id))
        ).all()
        if not items:
            continue
        session.execute(
            delete(MailDigestItem).where(
                col(MailDigestItem.user_id) == address.user_id, col(MailDigestItem.id) <= items[-1].id
            )
        )
        # Lines of feeds turned off since they were collected are dropped, not sent.
        lines = [item for item in items if item.feed in set(Feed) and address.wants(Feed(item.feed))]
        if not lines or not address.is_verified:
            continue
        unsubscribe_url = _unsubscribe_url(context, address.user_id, address.email, ALL)
        headline, body = context.render(
            "mail/digest.txt",
            username=username,
            day=local(now).strftime("%m月%d日"),
            items=lines[:DIGEST_MAX_ITEMS],
            more=max(0, len(lines) - DIGEST_MAX_ITEMS),
            count=len(lines),
            feed=ALL,
            unsubscribe_url=unsubscribe_url,
            settings_url=context.url("mail:settings"),
        )
        row = _outbox_row(
            context,
            user_id=address.user_id,
            to=address.email,
            kind=MailKind.DIGEST,
            headline=headline,
            body=body,
            unsubscribe_url=unsubscribe_url,
            now=now,
        )
        session.execute(insert(MailOutbox), [row])
        queued += 1
    session.flush()
    return queued
