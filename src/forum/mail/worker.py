"""Sending the outbox: claim the mails that are due, send them over SMTP outside any transaction,
record each outcome. A mail server that is down costs a retry later (exponential backoff), never a
mail: after FORUM_MAIL_MAX_ATTEMPTS tries the row is marked failed and kept."""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from forum.config import Settings
from forum.db import session_scope
from forum.mail.models import MailOutbox, OutboxStatus
from forum.timeutil import utcnow

log = logging.getLogger("forum.mail")
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DrainResult:
    sent: int = 0
    retrying: int = 0  # failed this time, will be tried again
    failed: int = 0  # failed for the last time

    def __iadd__(self, other: DrainResult) -> DrainResult:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        return self


def backoff(settings: Settings, attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 1, 2, 4 … × FORUM_MAIL_RETRY_SECONDS."""
    return min(timedelta(seconds=settings.mail_retry_seconds * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def claim(session: Session, *, settings: Settings, now: datetime, limit: int) -> list[MailOutbox]:
    """Take up to `limit` due mails. Each claimed row counts an attempt and is leased (its next
    attempt pushed past the time a batch can take), so no other worker takes it meanwhile and a
    worker that dies mid-send leaves it to be retried. PostgreSQL skips rows another worker is
    claiming; SQLite has one writer at a time."""
    rows = list(
        session.exec(
            select(MailOutbox)
            .where(MailOutbox.status == OutboxStatus.QUEUED, col(MailOutbox.next_attempt_at) <= now)
            .order_by(col(MailOutbox.next_attempt_at), col(MailOutbox.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
    )
    lease = timedelta(seconds=600 + limit * settings.smtp_timeout)
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + lease
    session.flush()
    return rows


def build_message(settings: Settings, row: MailOutbox) -> EmailMessage:
    # Long headers are folded as usual, except those set raw (below), which are left as they are.
    message = EmailMessage(policy=email.policy.SMTP.clone(refold_source="none"))
    name, sender = parseaddr(settings.mail_from)  # "noreply@…" or "社区吧 <noreply@…>"
    domain = sender.rpartition("@")[2] or "localhost"
    message["From"] = Address(display_name=name or settings.site_name, addr_spec=sender)
    message["To"] = row.to_addr
    message["Subject"] = row.subject
    message["Date"] = format_datetime(utcnow())
    # Stable across retries, so a mail sent twice (a worker died after sending) is one thread.
    message["Message-ID"] = f"<mail-{row.id}.{int(row.created_at.timestamp())}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if row.unsubscribe_url:
        # Raw: folding would turn the long URL into an encoded word no mail client understands.
        message.set_raw("List-Unsubscribe", f"<{row.unsubscribe_url}>")
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.body)
    return message


class Smtp:
    """One connection for a batch, opened on the first mail and reopened after a broken one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def connect(self) -> smtplib.SMTP:
        s = self.settings
        connection: smtplib.SMTP
        if s.smtp_ssl:
            connection = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            if s.smtp_starttls and not s.smtp_ssl:
                connection.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                connection.login(s.smtp_username, s.smtp_password)
        except BaseException:
            connection.close()
            raise
        return connection

    def open(self) -> None:
        if self.connection is None:
            self.connection = self.connect()

    def send(self, message: EmailMessage) -> None:
        self.open()
        assert self.connection is not None
        try:
            self.connection.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # the server answered about this mail; the connection is still good
        except OSError:  # SMTPException is one too: a broken connection, reopened for the next mail
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _send_batch(settings: Settings, rows: list[MailOutbox]) -> dict[int, str | None]:
    """Send each mail; the error text of each that failed (None: sent)."""
    outcome: dict[int, str | None] = {}
    smtp = Smtp(settings)
    try:
        for index, row in enumerate(rows):
            try:
                smtp.open()
            except OSError as error:
                # Server down, TLS or login refused: the rest would fail the same way, each after
                # a timeout. They all wait for their next attempt.
                for rest in rows[index:]:
                    outcome[rest.id] = _describe(error)  # type: ignore[index]
                break
            try:
                smtp.send(build_message(settings, row))
                outcome[row.id] = None  # type: ignore[index]
            except (OSError, ValueError) as error:
                outcome[row.id] = _describe(error)  # type: ignore[index]
    finally:
        smtp.close()
    return outcome


def _record(
    session: Session, *, settings: Settings, outcome: dict[int, str | None], now: datetime
) -> DrainResult:
    result = DrainResult()
    rows = session.exec(select(MailOutbox).where(col(MailOutbox.id).in_(list(outcome)))).all()
    for row in rows:
        error = outcome[row.id]  # type: ignore[index]
        if error is None:
            row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, None
            result.sent += 1
        elif row.attempts >= settings.mail_max_attempts:
            row.status, row.last_error = OutboxStatus.FAILED, error
            result.failed += 1
            log.warning(
                "gave up on mail %s to %s after %d attempts: %s", row.id, row.to_addr, row.attempts, error
            )
        else:
            row.last_error, row.next_attempt_at = error, now + backoff(settings, row.attempts)
            result.retrying += 1
    session.flush()
    return result


def drain(engine: Engine, settings: Settings, *, batch: int = 50, now: datetime | None = None) -> DrainResult:
    """Send every mail due now, batch by batch; safe to run in several workers at once."""
    total = DrainResult()
    while True:
        moment = now or utcnow()
        with session_scope(engine, write=True) as session:
            rows = claim(session, settings=settings, now=moment, limit=batch)
        if not rows:
            return total
        outcome = _send_batch(settings, rows)
        with session_scope(engine, write=True) as session:
            total += _record(session, settings=settings, outcome=outcome, now=now or utcnow())
        if len(rows) < batch:
            return total


def run_worker(
    engine: Engine,
    settings: Settings,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], object] | None = None,
) -> None:
    """Drain the outbox and queue the daily digests, every FORUM_MAIL_POLL_SECONDS, until told to stop."""
    import time

    from forum.mail.service import send_digests

    pause = sleep or time.sleep
    while not should_stop():
        try:
            with session_scope(engine, write=True) as session:
                send_digests(session)
            drain(engine, settings)
        except Exception:  # keep the worker alive; the next round tries again
            log.exception("mail worker round failed")
        pause(settings.mail_poll_seconds)
