"""A user's e-mail address and what they want by mail; the outbox of mails to send; the items
waiting for a user's daily digest."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from forum.timeutil import AwareDateTime, utcnow

EMAIL_MAX = 254  # RFC 5321's limit on a forward path


class Feed(StrEnum):
    """What a user may choose to receive; each is one switch on the settings page."""

    REPLY = "reply"  # replies to my topic or floor, new floors in topics I follow
    MENTION = "mention"
    CASE = "case"  # my cases' progress, cases given to my unit
    NOTICE = "notice"
    CONSULTATION = "consultation"


class MailKind(StrEnum):
    """Why an outbox row exists: a feed above, or one of these."""

    VERIFY = "verify"
    DIGEST = "digest"


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its next attempt (or being sent right now)
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; kept for the record


class MailAddress(SQLModel, table=True):
    """One address per user. Only a verified one receives mail other than its verification."""

    __tablename__ = "mail_address"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    email: str = Field(max_length=EMAIL_MAX)
    verified_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    verify_sent_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    want_reply: bool = True
    want_mention: bool = True
    want_case: bool = True
    want_notice: bool = True
    want_consultation: bool = True
    digest: bool = False  # one mail a day instead of one per event
    last_digest_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def wants(self, feed: Feed) -> bool:
        return bool(getattr(self, f"want_{feed.value}"))


class MailOutbox(SQLModel, table=True):
    """A mail written in the transaction of the event that caused it, sent later by the worker."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    kind: str = Field(max_length=16)
    to_addr: str = Field(max_length=EMAIL_MAX)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text(), nullable=False))
    unsubscribe_url: str = Field(default="", max_length=1000)
    status: str = Field(default=OutboxStatus.QUEUED, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime()))


class MailDigestItem(SQLModel, table=True):
    """One line of a digest user's next daily mail."""

    __tablename__ = "mail_digest_item"
    __table_args__ = (Index("ix_mail_digest_item_user", "user_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    feed: str = Field(max_length=16)
    line: str = Field(max_length=300)
    url: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False))
